using Npgsql;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Turns on Npgsql's automatic statement preparation for a connection string: a statement used a few times is
/// prepared on its connection, so PostgreSQL stops parsing and planning it on every execution. The write path runs
/// the same dozen statements for every review, and PostgreSQL spent most of its CPU planning them
/// (docs/benchmarks.md). A value already in the connection string is kept.
/// </summary>
public static class StatementPreparation
{
    /// <summary>Prepared statements kept per connection: more than the services' distinct hot statements.</summary>
    public const int MaxAutoPrepare = 64;

    /// <returns>The connection string with <c>Max Auto Prepare</c> set; null stays null.</returns>
    public static string? Enable(string? connectionString)
    {
        if (connectionString is null)
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}
