using System.Globalization;
using System.Text.RegularExpressions;

namespace Cloudtalk.Benchmarks.Load;

/// <summary>What one wrk run measured, parsed from its text output (wrk has no machine-readable format).</summary>
public sealed partial record WrkResult(string Scenario, double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors)
{
    /// <summary>Milliseconds of CPU each part of the system spent per request of the measured run (all cores).</summary>
    public IReadOnlyDictionary<string, double>? CpuMsPerRequest { get; init; }

    public static WrkResult Parse(string scenario, string output)
    {
        var requestsPerSecond = double.Parse(RequestsPerSecondPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(RequestsPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var non2xx = NonSuccessPattern().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        long socketErrors = 0;
        if (SocketErrorsPattern().Match(output) is { Success: true } s)
        {
            socketErrors = Enumerable.Range(1, 4).Sum(i => long.Parse(s.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return new WrkResult(scenario, requestsPerSecond, Percentile(output, "50"), Percentile(output, "99"), requests, non2xx + socketErrors);
    }

    private static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "s" => value * 1000,
            _ => value,
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecondPattern();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccessPattern();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsPattern();
}
