using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cloudtalk.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Cloudtalk.Tests.Faults;

/// <summary>
/// The whole system (2 Api replicas, Rating, PostgreSQL, RabbitMQ, Redis) under a stream of concurrent review
/// writes while, in turn, each part fails. After each fault nothing acknowledged is lost and everything converges.
/// Bounded: every fault lasts seconds, every convergence wait is capped. The services log every fault without a
/// stack trace or a secret.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergenceLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan WritesAroundFault = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Acknowledged_writes_survive_and_ratings_converge_after_each_fault()
    {
        await using var app = await CloudtalkApp.StartAsync("--Replicas:Api", "2");
        using var api = app.CreateApiClient();
        api.Timeout = TimeSpan.FromSeconds(15);
        var products = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            products.Add((await api.CreateProductAsync($"Fault product {i}")).Id());
        }

        var secrets = await GeneratedSecrets.ReadAsync(app);
        using var logs = ResourceLogs.Watch(app, "api", "rating");
        var faults = new SystemFaults(app);
        var load = new ReviewWriteLoad(api, products);
        var table = new StringBuilder("| fault | writes attempted | client-visible errors | time to converge |\n|---|---:|---:|---:|\n");

        foreach (var (name, inject) in Scenarios(faults))
        {
            load.ResetCounters();
            using var stop = new CancellationTokenSource();
            var writing = load.RunAsync(stop.Token);
            await Task.Delay(WritesAroundFault);
            await inject();
            await Task.Delay(WritesAroundFault);
            await stop.CancelAsync();
            await writing;

            var clock = Stopwatch.StartNew();
            var problem = await ConsistencyCheck.FindProblemAsync(app, api, load, products);
            while (problem is not null && clock.Elapsed < ConvergenceLimit)
            {
                await Task.Delay(100);
                problem = await ConsistencyCheck.FindProblemAsync(app, api, load, products);
            }

            table.Append(CultureInfo.InvariantCulture,
                $"| {name} | {load.Attempted} | {load.Errors}{(load.Errors > 0 ? $" ({load.ErrorKinds})" : "")} | {(problem is null ? $"{clock.Elapsed.TotalSeconds:F1} s" : "not converged")} |\n");
            output.WriteLine($"{name}: {load.Attempted} writes, {load.Errors} errors ({load.ErrorKinds}), {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(problem is null, $"after '{name}': {problem}\n{table}");
        }

        output.WriteLine(table.ToString());
        // test.sh prints this table after the run (a passing test's output is not shown by dotnet test).
        var results = RepositoryLayout.PathOf("TestResults");
        Directory.CreateDirectory(results);
        await File.WriteAllTextAsync(Path.Combine(results, "fault-injection.md"), table.ToString());
        Assert.NotEmpty(load.Acknowledged);

        // The services logged the faults they saw (warnings, errors), never with a stack trace or a secret.
        var lines = logs.Lines;
        foreach (var service in new[] { "api: ", "rating: " })
        {
            Assert.Contains(lines, line => line.StartsWith(service, StringComparison.Ordinal) &&
                (line.Contains("warn: ", StringComparison.Ordinal) || line.Contains("fail: ", StringComparison.Ordinal)));
        }

        logs.AssertNoStackTrace();
        foreach (var (name, secret) in secrets)
        {
            Assert.False(lines.Any(line => line.Contains(secret, StringComparison.Ordinal)), $"A log line contains the {name} secret.");
        }
    }

    private static IEnumerable<(string Name, Func<Task> Inject)> Scenarios(SystemFaults faults) =>
    [
        ("RabbitMQ killed (-9) and restarted", async () =>
        {
            await faults.KillAsync("rabbitmq");
            await faults.StartAsync("rabbitmq");
        }),
        ("Rating killed and restarted", async () =>
        {
            await faults.KillAsync("rating");
            await faults.StartAsync("rating");
        }),
        ("an Api replica killed and restarted", async () =>
        {
            var replica = (await faults.InstancesAsync("api"))[0];
            await faults.KillAsync(replica);
            await faults.StartAsync(replica);
        }),
        // Graceful: the Stop command as from the dashboard (SIGTERM), mid-stream. The shutdown must lose nothing and
        // log no stack trace, like the crashes above.
        ("Rating stopped (SIGTERM) and started", async () =>
        {
            await faults.StopAsync("rating");
            await faults.StartAsync("rating");
        }),
        ("an Api replica stopped (SIGTERM) and started", async () =>
        {
            var replica = (await faults.InstancesAsync("api"))[1];
            await faults.StopAsync(replica);
            await faults.StartAsync(replica);
        }),
        ("PostgreSQL restarted", async () =>
        {
            await faults.InterruptAsync("postgres");
            await faults.StartAsync("postgres");
        }),
        ("Redis frozen for 10 s", async () =>
        {
            faults.Freeze("redis");
            await Task.Delay(TimeSpan.FromSeconds(10));
            faults.Thaw("redis");
        }),
        ("Redis killed and restarted", async () =>
        {
            await faults.KillAsync("redis");
            await faults.StartAsync("redis");
        }),
    ];
}
