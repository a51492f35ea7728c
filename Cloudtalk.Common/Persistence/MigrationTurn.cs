using Npgsql;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// A PostgreSQL session advisory lock that replicas migrating one database take in turn (see
/// <see cref="DatabaseMigrator{TContext}"/>). Held on a connection of its own, outside the pool, so that it lasts
/// exactly as long as this object: disposing closes the connection, and PostgreSQL releases the lock with the session,
/// also when the process dies.
/// </summary>
internal sealed class MigrationTurn : IAsyncDisposable
{
    // Any fixed number: advisory locks are scoped to the database, and only migrators take this one.
    private const long LockKey = 0x436C6F7564_7461;

    private readonly NpgsqlConnection _connection;

    private MigrationTurn(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Waits until no other migrator of the database holds the lock, then holds it.</summary>
    public static async Task<MigrationTurn> TakeAsync(string? connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", LockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new MigrationTurn(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
