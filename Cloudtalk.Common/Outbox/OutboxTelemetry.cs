using System.Diagnostics.Metrics;

namespace Cloudtalk.Common.Outbox;

/// <summary>Metrics of the outbox relay (Meter <c>Cloudtalk.Outbox</c>).</summary>
public static class OutboxTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Cloudtalk.Outbox";

    private static readonly Meter Meter = new(Name);

    /// <summary>Outbox rows published and marked sent.</summary>
    public static Counter<long> Relayed { get; } =
        Meter.CreateCounter<long>("cloudtalk.outbox.relayed", "{message}", "Outbox rows published, confirmed and marked sent.");

    /// <summary>Relay rounds that failed (broker or database away) and will be retried.</summary>
    public static Counter<long> FailedRounds { get; } =
        Meter.CreateCounter<long>("cloudtalk.outbox.failed_rounds", "{round}", "Relay rounds that failed and will be retried.");
}
