using System.Diagnostics;
using System.Globalization;
using Cloudtalk.Benchmarks.Reporting;

namespace Cloudtalk.Benchmarks.Load;

/// <summary>Runs wrk (Debian's package) with a Lua script per scenario: a warm-up, then the measured run.</summary>
public sealed class WrkRunner(BenchmarkOptions options)
{
    /// <summary>A warm-up, then the measured run, with the CPU each part of the system spent per request.</summary>
    public Task<WrkResult> RunAsync(Scenario scenario, Uri baseAddress) =>
        WithScriptAsync(scenario, async script =>
        {
            await RunWrkAsync(script, baseAddress, options.WarmupSeconds);
            var cpu = SystemCpu.Start();
            var output = await RunWrkAsync(script, baseAddress, options.Seconds);
            return (output, cpu.Stop());
        });

    /// <summary>One measured run without a warm-up (the soak: minutes of load, sampled while it runs).</summary>
    public Task<WrkResult> RunOnceAsync(Scenario scenario, Uri baseAddress, int seconds) =>
        WithScriptAsync(scenario, async script => (await RunWrkAsync(script, baseAddress, seconds), null));

    private static async Task<WrkResult> WithScriptAsync(
        Scenario scenario, Func<string, Task<(string Output, IReadOnlyDictionary<string, TimeSpan>? Cpu)>> run)
    {
        var script = Path.Combine(Path.GetTempPath(), $"cloudtalk-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, scenario.LuaScript);
        try
        {
            var (output, cpu) = await run(script);
            var result = WrkResult.Parse(scenario.Name, output);
            if (cpu is not null && result.Requests > 0)
            {
                result = result with
                {
                    CpuMsPerRequest = cpu.ToDictionary(part => part.Key, part => part.Value.TotalMilliseconds / result.Requests,
                        StringComparer.Ordinal),
                };
            }

            if (result.Errors > 0)
            {
                // wrk's own lines say which kind (non-2xx answers, or connect/read/write/timeout socket errors).
                Console.WriteLine($"{scenario.Name}: {result.Errors} errors; wrk said:\n{output}");
            }

            return result;
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
