using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Cloudtalk.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Cloudtalk.Tests.Benchmarks;

/// <summary>
/// The load benchmark (bench/README.md) is not run by CI at full length, so this runs it for a few seconds per part
/// (<c>--smoke</c>) against a system of its own: every scenario, the propagation phases and the exactness check must
/// run and report, with no error and nothing lost. It keeps the harness working; its figures mean nothing here.
/// </summary>
public sealed class LoadHarnessSmokeTests(ITestOutputHelper output)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly string[] Scenarios =
    [
        "ceiling: constant product JSON", "get-by-id (hot 100)", "list page 1, limit 100", "review page of a product",
        "post-review", "90/10 read/write mix",
    ];

    [Fact]
    public async Task The_harness_runs_every_scenario_and_reports_no_error_and_nothing_lost()
    {
        // A system of its own: the exactness check compares every product with its reviews, and other tests write
        // ratings behind the Api's back.
        await using var app = await CloudtalkApp.StartAsync();
        var api = app.App.GetEndpoint("api", "http");
        var report = Path.Combine(Path.GetTempPath(), $"cloudtalk-harness-{Guid.NewGuid():N}.md");
        var harness = RepositoryLayout.PathOf("Cloudtalk.Benchmarks", "bin", Configuration, "net10.0", "Cloudtalk.Benchmarks.dll");
        Assert.True(File.Exists(harness), $"{harness} is not built");

        try
        {
            var run = await ProcessRunner.RunAsync("dotnet",
                [harness, "load", "--smoke", "--api", api.ToString(), "--output", report],
                RepositoryLayout.Root, timeout: TimeSpan.FromMinutes(5));
            output.WriteLine(run.Output);
            run.EnsureSuccess("the load harness");

            var lines = await File.ReadAllLinesAsync(report);
            foreach (var scenario in Scenarios)
            {
                var row = lines.FirstOrDefault(line => line.StartsWith($"| {scenario} |", StringComparison.Ordinal));
                Assert.True(row is not null, $"no row for '{scenario}' in the report:\n{string.Join('\n', lines)}");
                var cells = row.Split('|', StringSplitOptions.TrimEntries);
                Assert.True(double.Parse(cells[2], CultureInfo.InvariantCulture) > 0, $"'{scenario}' served nothing: {row}");
                Assert.Equal("0", cells[5]);
            }

            foreach (var phase in new[] { "| idle |", "| under 250 writes/s offered", "| under 1000 writes/s offered" })
            {
                var row = lines.FirstOrDefault(line => line.StartsWith(phase, StringComparison.Ordinal));
                Assert.True(row is not null, $"no propagation row '{phase}'");
                // Every probe's update was seen (column "not seen in 5 s").
                Assert.Equal("0", row.Split('|', StringSplitOptions.TrimEntries)[3]);
            }

            Assert.Contains(lines, line => line.StartsWith("After the 1,000 writes/s load stopped:", StringComparison.Ordinal) &&
                line.Contains(" 0 wrong at the end; all exact as read ", StringComparison.Ordinal) &&
                line.EndsWith("background write errors: 0.", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.StartsWith("- peak RSS of Cloudtalk.Api: ", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.StartsWith("- peak RSS of Cloudtalk.Rating: ", StringComparison.Ordinal));

            // The Api's peak after each phase: every phase, each read (not 0), and never falling (the highest reading so far;
            // Linux's VmHWM itself can read lower than before, see PeakMemory).
            const string phasesPrefix = "- peak RSS of Cloudtalk.Api as it stood after each phase ";
            var phasesLine = lines.FirstOrDefault(line => line.StartsWith(phasesPrefix, StringComparison.Ordinal));
            Assert.True(phasesLine is not null, $"no per-phase peak line in the report:\n{string.Join('\n', lines)}");
            var phases = Regex.Matches(phasesLine[(phasesLine.IndexOf("): ", StringComparison.Ordinal) + 3)..], @"(?<name>[^;]+?) (?<mb>\d+) MB(; |$)")
                .Select(match => (Name: match.Groups["name"].Value, Megabytes: int.Parse(match.Groups["mb"].Value, CultureInfo.InvariantCulture)))
                .ToList();
            Assert.Equal(
                ["seeding", .. Scenarios.Skip(1), "propagation, idle", "exactness check"],
                phases.Select(phase => phase.Name).Where(name =>
                    !name.StartsWith("propagation, under", StringComparison.Ordinal) && name != "get-by-id via the proxy"));
            Assert.All(phases, phase => Assert.True(phase.Megabytes > 0, $"{phase.Name}: {phase.Megabytes} MB"));
            Assert.Equal(phases.Select(phase => phase.Megabytes).Order(), phases.Select(phase => phase.Megabytes));
        }
        finally
        {
            File.Delete(report);
        }
    }
}
