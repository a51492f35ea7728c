using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>Direct access to the system's PostgreSQL and Redis, to look behind the Api's back.</summary>
public static class Backing
{
    /// <summary>A connection of the test's own to the system's Redis.</summary>
    /// <param name="app">The system.</param>
    /// <param name="database">The Redis database (default: the connection string's, which the Api uses).</param>
    public static async Task<ConnectionMultiplexer> ConnectRedisAsync(this CloudtalkApp app, int? database = null)
    {
        var options = ConfigurationOptions.Parse(await app.GetConnectionStringAsync("cache"));
        options.AbortOnConnectFail = false;
        options.DefaultDatabase = database ?? options.DefaultDatabase;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public static async Task<NpgsqlConnection> OpenApiDatabaseAsync(this CloudtalkApp app)
    {
        var connection = new NpgsqlConnection(await app.GetConnectionStringAsync("apidb"));
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteNonQueryAsync();
    }

    public static async Task<List<string>> CacheKeysAsync(this ConnectionMultiplexer redis, string pattern)
    {
        var server = redis.GetServers().Single();
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: pattern))
        {
            keys.Add(key.ToString());
        }

        return keys;
    }

    /// <summary>
    /// The redis-server process of this AppHost run, found by its address: redis-server rewrites its command
    /// line to "redis-server host:port".
    /// </summary>
    public static async Task<int> RedisServerPidAsync(this CloudtalkApp app)
    {
        var address = (await app.GetConnectionStringAsync("cache")).Split(',')[0];
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains("redis-server", StringComparison.Ordinal) &&
                commandLine.Contains(address + " ", StringComparison.Ordinal))
            {
                return pid;
            }
        }

        throw new InvalidOperationException("No redis-server of this run found.");
    }

    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
