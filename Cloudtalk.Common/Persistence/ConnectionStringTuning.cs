using System.Data.Common;
using Npgsql;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// The services' Npgsql settings, applied to the connection string Aspire hands them; a setting the connection string
/// already carries is kept, so a deployment can choose its own.
/// <list type="bullet">
/// <item><c>Max Auto Prepare</c>: a statement used a few times is prepared on its connection, so PostgreSQL stops
/// parsing and planning it on every execution (the write path runs the same dozen statements for every review).</item>
/// <item><c>Maximum Pool Size</c> 24 instead of 100: under a write burst a hundred backends on two cores spent their
/// time switching and waiting on each other; fewer, busier connections wrote more per second
/// (docs/benchmarks.md).</item>
/// <item><c>No Reset On Close</c>: a connection going back to the pool is not reset. With prepared statements Npgsql
/// resets by sending six utility statements (<c>SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; ...</c>)
/// ahead of the next command, which PostgreSQL parses and runs on every checkout: for every relay round, every batch,
/// every read that misses the cache. Our code leaves no session state on a pooled connection (no <c>SET</c>,
/// <c>LISTEN</c>, temporary table or session advisory lock; the migrators' lock has a connection of its own,
/// outside the pool). Code that does must use a connection of its own too.</item>
/// </list>
/// </summary>
public static class ConnectionStringTuning
{
    /// <summary>Prepared statements kept per connection: more than the services' distinct hot statements.</summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>Connections per service instance.</summary>
    public const int MaxPoolSize = 24;

    /// <returns>The connection string with the settings above where it has none of its own; null stays null.</returns>
    public static string? Apply(string? connectionString)
    {
        if (connectionString is null)
        {
            return null;
        }

        // Npgsql's own builder reports every key it knows as present, so the keys given are read with the plain one.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("MAXAUTOPREPARE"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        if (!given.Contains("MAXIMUMPOOLSIZE") && !given.Contains("MAXPOOLSIZE"))
        {
            builder.MaxPoolSize = MaxPoolSize;
        }

        if (!given.Contains("NORESETONCLOSE"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
