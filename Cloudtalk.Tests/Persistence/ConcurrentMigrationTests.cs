using System.Diagnostics;
using Cloudtalk.Tests.Infrastructure;
using Npgsql;

namespace Cloudtalk.Tests.Persistence;

/// <summary>
/// Several Api replicas starting at once against an empty database all come up and migrate it once, taking turns:
/// none of them fails an attempt on what another one is applying.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ConcurrentMigrationTests(CloudtalkAppFixture fixture)
{
    private const int Replicas = 3;

    [Fact]
    public async Task Replicas_starting_together_on_an_empty_database_all_start_and_migrate_it_once_in_turn()
    {
        var database = $"migrate_{Guid.NewGuid():N}"[..20];
        await using (var admin = await fixture.App.OpenApiDatabaseAsync())
        {
            await admin.ExecuteAsync($"CREATE DATABASE {database}");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("apidb"))
        {
            Database = database,
        }.ConnectionString;
        var replicas = new List<Process>();
        try
        {
            for (var i = 0; i < Replicas; i++)
            {
                replicas.Add(await StartApiAsync(connectionString));
            }

            var logs = await Task.WhenAll(replicas.Select(WaitUntilListeningAsync));

            Assert.All(logs, log => Assert.Contains(log, line => line.Contains("Now listening on", StringComparison.Ordinal)));
            Assert.All(logs, log => Assert.DoesNotContain(log, line => line.Contains("Migrating ApiDbContext failed", StringComparison.Ordinal)));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """SELECT count(*) FROM "__EFMigrationsHistory" WHERE migration_id LIKE '%_InitialProductsAndReviews'""", connection);
            Assert.Equal(1L, await command.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var replica in replicas)
            {
                if (!replica.HasExited)
                {
                    replica.Kill(entireProcessTree: true);
                    await replica.WaitForExitAsync();
                }

                replica.Dispose();
            }

            await using var admin = await fixture.App.OpenApiDatabaseAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private async Task<Process> StartApiAsync(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet", [ApiAssemblyPath(), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__apidb"] = connectionString;
        start.Environment["ConnectionStrings__cache"] = await fixture.App.GetConnectionStringAsync("cache");
        start.Environment["ConnectionStrings__messaging"] = await fixture.App.GetConnectionStringAsync("messaging");
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    /// <summary>
    /// The replica's log up to the line saying that Kestrel listens (after its hosted services, the migration, started),
    /// or up to its exit or 90 s.
    /// </summary>
    private static async Task<List<string>> WaitUntilListeningAsync(Process replica)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _ = replica.StandardError.ReadToEndAsync(timeout.Token);
        var lines = new List<string>();
        try
        {
            while (await replica.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.Contains("Now listening on", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Not listening within the time: the caller's assertion says so.
        }

        return lines;
    }

    /// <summary>The Api built next to this test assembly's configuration (bin/Debug or bin/Release).</summary>
    private static string ApiAssemblyPath()
    {
        var testFolder = AppContext.BaseDirectory;
        var configuration = new DirectoryInfo(testFolder).Parent!.Name;
        var folder = new DirectoryInfo(testFolder);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Cloudtalk.sln")))
        {
            folder = folder.Parent;
        }

        var path = Path.Combine(folder!.FullName, "Cloudtalk.Api", "bin", configuration, "net10.0", "Cloudtalk.Api.dll");
        Assert.True(File.Exists(path), $"Build the solution first: {path} is missing.");
        return path;
    }
}
