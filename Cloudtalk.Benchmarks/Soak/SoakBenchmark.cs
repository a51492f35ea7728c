using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cloudtalk.Benchmarks.Load;
using Cloudtalk.Benchmarks.Propagation;
using Cloudtalk.Benchmarks.Reporting;

namespace Cloudtalk.Benchmarks.Soak;

/// <summary>
/// The soak: minutes of the 90/10 read/write mix against the running system while memory and backlogs are sampled.
/// It passes when no request erred, within 60 s of the load's end nothing is left in any queue or outbox and every
/// product's rating is exact, and neither service's memory kept growing (the last third of the run against the middle
/// third).
/// </summary>
public static class SoakBenchmark
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(15);

    /// <summary>How long after the load every product must be exact and every queue, dead-letter queue and outbox empty.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    // Growth that a warmed-up service's GC heap and caches do not explain: more than this is reported as a leak.
    private const double AllowedGrowth = 0.15;

    public static async Task<int> RunAsync(BenchmarkOptions options)
    {
        await LoadBenchmark.WaitForApiAsync(options.Api);
        var system = MeasuredSystem.OfRunningApi();
        var target = ApiEndpoint.Direct(options.Api);
        using var http = LoadBenchmark.NewHttpClient(target);
        var client = new CloudtalkClient(http);
        Console.WriteLine($"Seeding {options.Products} products with {options.ReviewsPerProduct} reviews each...");
        var products = await Seeder.SeedAsync(client, options.Products, options.ReviewsPerProduct);
        await using var backlog = await Backlog.ConnectAsync(system);

        var duration = TimeSpan.FromMinutes(options.SoakMinutes);
        Console.WriteLine($"Soaking for {duration.TotalMinutes} min with the 90/10 mix, sampling every {SampleEvery.TotalSeconds} s...");
        var wrk = new WrkRunner(options);
        var load = wrk.RunOnceAsync(Scenario.Mix(products), target, (int)duration.TotalSeconds);
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        while (!load.IsCompleted)
        {
            samples.Add(await SampleAsync(system, backlog, clock.Elapsed));
            await Task.WhenAny(load, Task.Delay(SampleEvery));
        }

        var result = await load;
        var stoppedAt = clock.Elapsed;
        Console.WriteLine("Load stopped; waiting for every product to be exact and every backlog to drain...");
        var exactness = await ExactnessCheck.WaitUntilExactAsync(client, DrainLimit);
        // Exact ratings can come before the relays have marked their last rows sent (after the broker's confirm).
        var drained = await SampleAsync(system, backlog, clock.Elapsed);
        while (drained.Backlog.Values.Any(count => count > 0) && clock.Elapsed - stoppedAt < DrainLimit)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            drained = await SampleAsync(system, backlog, clock.Elapsed);
        }

        var growth = Growth(samples);
        var report = Render(options, result, samples, drained, exactness, growth);
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.OutputFile is not null)
        {
            await File.WriteAllTextAsync(options.OutputFile, report);
        }

        var failed = result.Errors > 0 || exactness.Wrong > 0 || drained.Backlog.Values.Any(count => count > 0) ||
                     growth.Values.Any(share => share > AllowedGrowth);
        return failed ? 1 : 0;
    }

    private static async Task<Sample> SampleAsync(MeasuredSystem system, Backlog backlog, TimeSpan at)
    {
        var memory = system.Find("Cloudtalk.Api", "Cloudtalk.Rating")
            .GroupBy(process => process.Name)
            .ToDictionary(group => group.Key, group => group.Sum(process => process.Memory("VmRSS")));
        return new Sample(at, memory, await backlog.MeasureAsync());
    }

    /// <summary>Per service: the mean RSS of the last third of the samples over that of the middle third, minus one.</summary>
    private static Dictionary<string, double> Growth(IReadOnlyList<Sample> samples)
    {
        var third = samples.Count / 3;
        if (third == 0)
        {
            return [];
        }

        var middle = samples.Skip(third).Take(third).ToList();
        var last = samples.Skip(samples.Count - third).ToList();
        return middle.SelectMany(sample => sample.Memory.Keys).Distinct().ToDictionary(
            name => name,
            name => last.Average(s => (double)s.Memory.GetValueOrDefault(name)) / middle.Average(s => (double)s.Memory.GetValueOrDefault(name)) - 1);
    }

    private static string Render(BenchmarkOptions options, WrkResult load, IReadOnlyList<Sample> samples, Sample drained,
        ExactnessResult exactness, IReadOnlyDictionary<string, double> growth)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(invariant, $"Soak {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores: {options.SoakMinutes} min of the " +
            $"90/10 mix, wrk -t2 -c{options.Connections}, {options.Products} products x {options.ReviewsPerProduct} reviews seeded.");
        text.AppendLine();
        text.AppendLine(invariant, $"- requests: {load.Requests} ({load.RequestsPerSecond:F0}/s), p50 {load.P50Ms:F2} ms, p99 {load.P99Ms:F2} ms, errors: {load.Errors}");
        foreach (var (name, share) in growth.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.AppendLine(invariant, $"- RSS growth of {name}, last third over middle third: {share:P1} (limit {AllowedGrowth:P0})");
        }

        text.AppendLine(invariant, $"- after the load: {exactness.Describe()} ({exactness.Wrong} wrong at the end); " +
            $"backlog left: {drained.Backlog.Values.Sum()}");
        text.AppendLine();
        var backlogNames = drained.Backlog.Keys.ToList();
        var memoryNames = samples.SelectMany(sample => sample.Memory.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        text.AppendLine("| at s | " + string.Join(" | ", memoryNames.Select(name => name + " RSS MB").Concat(backlogNames)) + " |");
        text.AppendLine("|---:|" + string.Concat(Enumerable.Repeat("---:|", memoryNames.Count + backlogNames.Count)));
        foreach (var sample in samples.Append(drained))
        {
            var cells = memoryNames.Select(name => (sample.Memory.GetValueOrDefault(name) / (1024.0 * 1024)).ToString("F0", invariant))
                .Concat(backlogNames.Select(name => sample.Backlog.GetValueOrDefault(name).ToString(invariant)));
            text.AppendLine(invariant, $"| {sample.At.TotalSeconds:F0} | {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }

    private sealed record Sample(TimeSpan At, IReadOnlyDictionary<string, long> Memory, IReadOnlyDictionary<string, long> Backlog);
}
