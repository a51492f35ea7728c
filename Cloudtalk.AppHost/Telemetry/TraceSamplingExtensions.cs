using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Cloudtalk.AppHost.Telemetry;

public static class TraceSamplingExtensions
{
    public const string SettingName = "Telemetry:TraceSampleRatio";

    /// <summary>
    /// Samples the project's traces when <c>Telemetry:TraceSampleRatio</c> is set (for example
    /// <c>./run.sh --Telemetry:TraceSampleRatio 0.01</c> for a load test): the dashboard ingesting one span per request
    /// costs about as much CPU as the Api itself. Unset, every trace is kept, as a demo wants. Parent-based, so a
    /// trace is kept or dropped as a whole across the Api, RabbitMQ and Rating. The standard OpenTelemetry variables do
    /// the work; the services need no code for it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTraceSampling(
        this IResourceBuilder<ProjectResource> project, IConfiguration configuration)
    {
        var setting = configuration[SettingName];
        if (string.IsNullOrWhiteSpace(setting))
        {
            return project;
        }

        if (!double.TryParse(setting, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) || ratio is < 0 or > 1)
        {
            throw new InvalidOperationException($"{SettingName} must be a number from 0 to 1, not '{setting}'.");
        }

        return project
            .WithEnvironment("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
            .WithEnvironment("OTEL_TRACES_SAMPLER_ARG", ratio.ToString(CultureInfo.InvariantCulture));
    }
}
