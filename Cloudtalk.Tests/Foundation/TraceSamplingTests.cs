namespace Cloudtalk.Tests.Foundation;

/// <summary>
/// <c>Telemetry:TraceSampleRatio</c> on the AppHost (for load tests) reaches both services as the standard
/// OpenTelemetry sampler variables; without it nothing is set (every trace kept), and a wrong value stops the AppHost.
/// Read from the manifest publisher's output, which carries each project's environment.
/// </summary>
public sealed class TraceSamplingTests
{
    [Fact]
    public async Task A_sample_ratio_reaches_both_services_as_a_parent_based_sampler()
    {
        var manifest = await ManifestTests.PublishManifestAsync("--Telemetry:TraceSampleRatio", "0.25");

        foreach (var project in new[] { "api", "rating" })
        {
            var env = manifest["resources"]![project]!["env"]!.AsObject();
            Assert.Equal("parentbased_traceidratio", (string?)env["OTEL_TRACES_SAMPLER"]);
            Assert.Equal("0.25", (string?)env["OTEL_TRACES_SAMPLER_ARG"]);
        }
    }

    [Fact]
    public async Task Without_the_setting_no_sampler_is_set()
    {
        var manifest = await ManifestTests.PublishManifestAsync();

        foreach (var project in new[] { "api", "rating" })
        {
            var env = manifest["resources"]![project]!["env"]!.AsObject();
            Assert.False(env.ContainsKey("OTEL_TRACES_SAMPLER"), $"{project} has a sampler without the setting");
        }
    }

    [Fact]
    public async Task A_ratio_outside_0_to_1_stops_the_AppHost_with_a_clear_message()
    {
        var output = Path.Combine(Path.GetTempPath(), $"cloudtalk-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, log) = await ManifestTests.RunPublisherAsync(output, "--Telemetry:TraceSampleRatio", "2");
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Telemetry:TraceSampleRatio must be a number from 0 to 1", log, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
