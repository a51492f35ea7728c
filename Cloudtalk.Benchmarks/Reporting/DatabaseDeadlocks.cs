using Npgsql;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>
/// PostgreSQL's count of deadlocks in the services' databases (<c>pg_stat_database.deadlocks</c>). A deadlock costs
/// no error (PostgreSQL aborts one transaction and the service retries it), only a wait of <c>deadlock_timeout</c>
/// (1 s) that shows in the p99 and nowhere else, so the harness reports how many happened during its run. The
/// connection strings are the ones the AppHost gave the running services.
/// </summary>
public static class DatabaseDeadlocks
{
    /// <summary>The deadlocks so far in apidb and ratingdb together; null when the services do not run here.</summary>
    public static async Task<long?> CountAsync(MeasuredSystem system)
    {
        if (system.Find("Cloudtalk.Api", "Cloudtalk.Rating") is not { Count: > 0 } processes)
        {
            return null;
        }

        long total = 0;
        foreach (var connectionString in new[]
                 {
                     processes.FirstOrDefault(p => p.Name == "Cloudtalk.Api")?.Environment("ConnectionStrings__apidb"),
                     processes.FirstOrDefault(p => p.Name == "Cloudtalk.Rating")?.Environment("ConnectionStrings__ratingdb"),
                 }.OfType<string>())
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", connection);
            total += (long)(await command.ExecuteScalarAsync())!;
        }

        return total;
    }
}
