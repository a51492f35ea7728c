using Cloudtalk.Benchmarks.Ceiling;
using Cloudtalk.Benchmarks.Load;
using Cloudtalk.Benchmarks.Propagation;
using Cloudtalk.Benchmarks.Reporting;

namespace Cloudtalk.Benchmarks;

/// <summary>
/// The load benchmark: seeds the data set, measures the ceiling and every scenario with wrk, measures rating
/// propagation idle and under background writes, checks exactness after the heaviest load, prints a Markdown report.
/// </summary>
public static class LoadBenchmark
{
    /// <summary>The background writes per second of the propagation phases: idle, the original's breaking point, 4× that.</summary>
    private static readonly int[] PropagationRates = [0, 250, 1000];

    private const string ApiProcess = "Cloudtalk.Api";

    public static async Task<int> RunAsync(BenchmarkOptions options)
    {
        await WaitForApiAsync(options.Api);
        var system = MeasuredSystem.OfRunningApi();
        var peaks = new PeakMemory(system);
        var target = ApiEndpoint.Direct(options.Api);
        Console.WriteLine($"Requests go to {target}{(target == options.Api ? "" : $" (the Api process itself; {options.Api} is the AppHost's proxy)")}.");
        using var http = NewHttpClient(target);
        var client = new CloudtalkClient(http);

        Console.WriteLine($"Seeding {options.Products} products with {options.ReviewsPerProduct} reviews each...");
        var products = await Seeder.SeedAsync(client, options.Products, options.ReviewsPerProduct);
        // The probe's products are its own: no scenario or background writer touches them.
        var probeProducts = products.Take(Math.Max(1, products.Count / 20)).ToArray();
        var loadProducts = products.Skip(probeProducts.Length).ToArray();
        var hotSet = loadProducts.Take(100).ToArray();
        // The Api's peak as it stood after each phase: the phase where it rises is where the peak came from.
        var apiPeakAfter = new List<PhasePeak> { new("seeding", peaks.OfService(ApiProcess)) };

        var deadlocksBefore = await DatabaseDeadlocks.CountAsync(system);
        var wrk = new WrkRunner(options);
        WrkResult ceiling;
        await using (var server = await CeilingServer.StartAsync())
        {
            Console.WriteLine("Measuring the ceiling...");
            ceiling = await wrk.RunAsync(Scenario.Ceiling(), server.Address);
        }

        var results = new List<WrkResult>();
        foreach (var scenario in new[]
                 {
                     Scenario.GetById(hotSet), Scenario.ListPage(), Scenario.ReviewPage(hotSet),
                     Scenario.PostReview(loadProducts), Scenario.Mix(loadProducts),
                 }.Where(scenario => options.Selects(scenario.Name)))
        {
            Console.WriteLine($"Measuring {scenario.Name}...");
            results.Add(await wrk.RunAsync(scenario, target));
            apiPeakAfter.Add(new(scenario.Name, peaks.OfService(ApiProcess)));
        }

        if (target != options.Api && options.Selects("proxy"))
        {
            Console.WriteLine("Measuring get-by-id through the AppHost's proxy...");
            var proxied = await wrk.RunAsync(Scenario.GetById(hotSet), options.Api);
            results.Insert(1, proxied with { Scenario = proxied.Scenario + $", via the proxy at :{options.Api.Port}" });
            apiPeakAfter.Add(new("get-by-id via the proxy", peaks.OfService(ApiProcess)));
        }

        var probe = new PropagationProbe(http, client, probeProducts);
        var propagation = new List<PropagationResult>();
        ExactnessResult? exactness = null;
        long backgroundErrors = 0;
        foreach (var rate in PropagationRates.Where(_ => options.Selects("propagation")))
        {
            Console.WriteLine($"Measuring rating propagation under {rate} background writes/s...");
            await using var background = new BackgroundWriter(client, loadProducts, rate);
            background.Start();
            var measured = await probe.MeasureAsync(rate == 0 ? "idle" : $"under {rate} writes/s offered", options.PropagationSamples);
            await background.DisposeAsync();
            backgroundErrors += background.Errors;
            apiPeakAfter.Add(new($"propagation, {measured.Label}", peaks.OfService(ApiProcess)));
            propagation.Add(rate == 0 ? measured : measured with
            {
                Label = measured.Label + $" ({background.AchievedPerSecond:F0}/s achieved, {background.Skipped} skipped at {BackgroundWriter.MaxInFlight} in flight)",
            });
            if (rate == 1000)
            {
                exactness = await ExactnessCheck.WaitUntilExactAsync(client, TimeSpan.FromSeconds(30));
                apiPeakAfter.Add(new("exactness check", peaks.OfService(ApiProcess)));
            }
        }

        var deadlocks = await DatabaseDeadlocks.CountAsync(system) - deadlocksBefore;
        var report = ResultsReport.Render(options, ceiling, results, propagation, exactness, backgroundErrors,
            peaks.OfServices(ApiProcess, "Cloudtalk.Rating"), apiPeakAfter, deadlocks);
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.OutputFile is not null)
        {
            await File.WriteAllTextAsync(options.OutputFile, report);
        }

        if (options.ChartFile is not null)
        {
            await File.WriteAllTextAsync(options.ChartFile, ResultsChart.Render(ceiling, results));
        }

        // A run with errors or a lost update is a failed run, whatever its speed.
        var failed = results.Any(result => result.Errors > 0) || propagation.Any(result => result.NotSeen > 0) ||
                     exactness is { Wrong: > 0 } || backgroundErrors > 0;
        return failed ? 1 : 0;
    }

    /// <summary>A client with a bounded connection pool: the background writers must not open a connection per request.</summary>
    internal static HttpClient NewHttpClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    internal static async Task WaitForApiAsync(Uri api)
    {
        using var http = NewHttpClient(api);
        for (var attempt = 0; attempt < 120; attempt++)
        {
            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(1000);
        }

        throw new InvalidOperationException($"The Api at {http.BaseAddress} is not healthy; start it with ./run.sh.");
    }
}
