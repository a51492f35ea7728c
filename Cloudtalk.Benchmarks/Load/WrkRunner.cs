using System.Diagnostics;
using System.Globalization;

namespace Cloudtalk.Benchmarks.Load;

/// <summary>Runs wrk (Debian's package) with a Lua script per scenario: a warm-up, then the measured run.</summary>
public sealed class WrkRunner(BenchmarkOptions options)
{
    public async Task<WrkResult> RunAsync(Scenario scenario, Uri baseAddress)
    {
        var script = Path.Combine(Path.GetTempPath(), $"cloudtalk-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, scenario.LuaScript);
        try
        {
            await RunWrkAsync(script, baseAddress, options.WarmupSeconds);
            var output = await RunWrkAsync(script, baseAddress, options.Seconds);
            return WrkResult.Parse(scenario.Name, output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>One measured run without a warm-up (the soak: minutes of load, sampled while it runs).</summary>
    public async Task<WrkResult> RunOnceAsync(Scenario scenario, Uri baseAddress, int seconds)
    {
        var script = Path.Combine(Path.GetTempPath(), $"cloudtalk-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, scenario.LuaScript);
        try
        {
            return WrkResult.Parse(scenario.Name, await RunWrkAsync(script, baseAddress, seconds));
        }
        finally
        {
            File.Delete(script);
        }
    }

    private async Task<string> RunWrkAsync(string script, Uri baseAddress, int seconds)
    {
        var start = new ProcessStartInfo("wrk",
        [
            "-t2", $"-c{options.Connections}", $"-d{seconds.ToString(CultureInfo.InvariantCulture)}s", "--latency",
            "-s", script, baseAddress.ToString().TrimEnd('/'),
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start (apt-get install wrk).");
        var output = await wrk.StandardOutput.ReadToEndAsync();
        var errors = await wrk.StandardError.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        // A Lua error is only a message on stderr: wrk then measures GET / instead of the scenario.
        if (wrk.ExitCode != 0 || !string.IsNullOrWhiteSpace(errors))
        {
            throw new InvalidOperationException($"wrk failed: {errors}{output}");
        }

        return output;
    }
}
