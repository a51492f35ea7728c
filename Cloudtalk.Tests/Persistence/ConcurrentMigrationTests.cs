using System.Diagnostics;
using Cloudtalk.Tests.Infrastructure;
using Npgsql;

namespace Cloudtalk.Tests.Persistence;

/// <summary>Several Api replicas starting at once against an empty database all come up, and migrate it once.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ConcurrentMigrationTests(CloudtalkAppFixture fixture)
{
    private const int Replicas = 3;

    [Fact]
    public async Task Replicas_starting_together_on_an_empty_database_all_start_and_migrate_it_once()
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

            var started = await Task.WhenAll(replicas.Select(WaitUntilListeningAsync));

            Assert.All(started, Assert.True);
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

    /// <summary>True once the replica logs that Kestrel listens (after its hosted services, the migration, started).</summary>
    private static async Task<bool> WaitUntilListeningAsync(Process replica)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _ = replica.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            while (await replica.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Contains("Now listening on", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return false;
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
