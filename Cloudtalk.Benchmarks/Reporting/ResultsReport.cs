using System.Globalization;
using System.Text;
using Cloudtalk.Benchmarks.Load;
using Cloudtalk.Benchmarks.Propagation;

namespace Cloudtalk.Benchmarks.Reporting;

/// <summary>Renders one run's figures as Markdown: the load table, propagation, exactness, memory.</summary>
public static class ResultsReport
{
    public static string Render(
        BenchmarkOptions options, WrkResult ceiling, IReadOnlyList<WrkResult> scenarios,
        IReadOnlyList<PropagationResult> propagation, ExactnessResult? exactness, long backgroundErrors,
        IReadOnlyDictionary<string, long> peakMemory, IReadOnlyList<PhasePeak> apiPeakAfter, long? deadlocks)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; " +
            $"wrk -t2 -c{options.Connections}, {options.Seconds} s per scenario after {options.WarmupSeconds} s warm-up; " +
            $"{options.Products} products x {options.ReviewsPerProduct} reviews.");
        text.AppendLine();
        text.AppendLine("| scenario | requests/s | p50 ms | p99 ms | errors | share of ceiling | |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var result in scenarios.Prepend(ceiling))
        {
            var share = result.RequestsPerSecond / ceiling.RequestsPerSecond;
            text.AppendLine(invariant,
                $"| {result.Scenario} | {result.RequestsPerSecond:F0} | {result.P50Ms:F2} | {result.P99Ms:F2} | {result.Errors} | {share:P0} | `{Bar(share)}` |");
        }

        var withCpu = scenarios.Where(result => result.CpuMsPerRequest is not null).ToList();
        if (withCpu.Count > 0)
        {
            // Per request, not per second: steadier across runs on a shared machine, and it says where a request's cost goes.
            text.AppendLine();
            text.AppendLine(invariant, $"| ms of CPU per request | {string.Join(" | ", SystemCpu.Parts.Select(part => part.Part))} | total |");
            text.AppendLine(invariant, $"|---|{string.Concat(SystemCpu.Parts.Select(_ => "---:|"))}---:|");
            foreach (var result in withCpu)
            {
                var perPart = SystemCpu.Parts.Select(part => result.CpuMsPerRequest!.GetValueOrDefault(part.Part)).ToList();
                text.AppendLine(invariant,
                    $"| {result.Scenario} | {string.Join(" | ", perPart.Select(ms => ms.ToString("F3", invariant)))} | {perPart.Sum():F3} |");
            }
        }

        text.AppendLine();
        text.AppendLine("| rating propagation | samples | not seen in 5 s | p50 ms | p99 ms | max ms |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var result in propagation)
        {
            // Without a sample seen in time there is no latency to report (the row says how many were not seen).
            string Latency(double ms) => result.Samples == 0 ? "–" : ms.ToString("F1", invariant);
            text.AppendLine(invariant,
                $"| {result.Label} | {result.Samples} | {result.NotSeen} | {Latency(result.P50Ms)} | {Latency(result.P99Ms)} | {Latency(result.MaxMs)} |");
        }

        if (exactness is not null)
        {
            text.AppendLine();
            text.AppendLine(invariant,
                $"After the 1,000 writes/s load stopped: {exactness.WrongAfterTwoSeconds} products wrong at 2 s, " +
                $"{exactness.Wrong} wrong at the end; {exactness.Describe()}; background write errors: {backgroundErrors}.");
        }

        text.AppendLine();
        foreach (var (name, bytes) in peakMemory.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.AppendLine(invariant, $"- peak RSS of {name}: {Megabytes(bytes)} MB");
        }

        if (apiPeakAfter.Count > 0)
        {
            text.AppendLine(invariant,
                $"- peak RSS of Cloudtalk.Api as it stood after each phase (a phase whose figure is above the one before raised it): " +
                $"{string.Join("; ", apiPeakAfter.Select(peak => $"{peak.Phase} {Megabytes(peak.Bytes)} MB"))}");
        }

        if (deadlocks is not null)
        {
            text.AppendLine(invariant, $"- deadlocks in PostgreSQL during the run (apidb and ratingdb; each cost a 1 s wait): {deadlocks}");
        }

        return text.ToString();
    }

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);

    private static string Bar(double share) => new('#', (int)Math.Round(Math.Clamp(share, 0, 1) * 40));
}
