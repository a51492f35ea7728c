using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Traces and metrics of the messaging building blocks, after the OpenTelemetry messaging semantic conventions:
/// a <c>publish</c> producer span and a <c>process</c> consumer span per message, the W3C trace context in the
/// <c>traceparent</c>/<c>tracestate</c> headers, and counters for published, confirmed, consumed, retried and
/// dead-lettered messages plus histograms of the handling time and of the batch size.
/// </summary>
public static class MessagingTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and of the <see cref="Meter"/>.</summary>
    public const string Name = "Cloudtalk.Messaging";

    /// <summary>The spans of publishing and processing.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Messages handed to the broker.</summary>
    public static Counter<long> Published { get; } =
        Meter.CreateCounter<long>("cloudtalk.messaging.published", "{message}", "Messages handed to the broker.");

    /// <summary>Messages the broker confirmed.</summary>
    public static Counter<long> Confirmed { get; } =
        Meter.CreateCounter<long>("cloudtalk.messaging.confirmed", "{message}", "Messages the broker confirmed (publisher confirms).");

    /// <summary>Messages handled and acknowledged.</summary>
    public static Counter<long> Consumed { get; } =
        Meter.CreateCounter<long>("cloudtalk.messaging.consumed", "{message}", "Messages handled and acknowledged.");

    /// <summary>Handler attempts that failed and were retried.</summary>
    public static Counter<long> Retried { get; } =
        Meter.CreateCounter<long>("cloudtalk.messaging.retried", "{attempt}", "Failed handler attempts that were retried.");

    /// <summary>Messages rejected to their queue's dead-letter queue.</summary>
    public static Counter<long> DeadLettered { get; } =
        Meter.CreateCounter<long>("cloudtalk.messaging.dead_lettered", "{message}", "Messages rejected to the dead-letter queue.");

    /// <summary>How long handling one message took, retries included.</summary>
    public static Histogram<double> HandlingTime { get; } =
        Meter.CreateHistogram<double>("cloudtalk.messaging.handling.duration", "s", "Time to handle one message, retries included.");

    /// <summary>How many events a consumer handled in one transaction, for batches of two or more.</summary>
    public static Histogram<int> BatchSize { get; } =
        Meter.CreateHistogram<int>("cloudtalk.messaging.batch.size", "{message}", "Events handled together in one transaction (batches of two or more).");

    /// <summary>W3C trace context and baggage, whether or not the OpenTelemetry SDK set a default propagator.</summary>
    private static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(
        [new TraceContextPropagator(), new BaggagePropagator()]);

    /// <summary>The W3C <c>traceparent</c> header name.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C <c>tracestate</c> header name.</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>Writes the context of <paramref name="activity"/> (and the current baggage) into AMQP headers.</summary>
    /// <param name="activity">The producer span, or null to write nothing.</param>
    /// <param name="headers">The message headers.</param>
    public static void Inject(Activity? activity, IDictionary<string, object?> headers)
    {
        if (activity is null)
        {
            return;
        }

        Propagator.Inject(new PropagationContext(activity.Context, Baggage.Current), headers,
            static (carrier, key, value) => carrier[key] = value);
    }

    /// <summary>Reads the trace context a producer wrote into AMQP headers.</summary>
    /// <param name="headers">The message headers (values may be strings or UTF-8 bytes).</param>
    /// <returns>The producer's context, or a default context when there is none.</returns>
    public static PropagationContext Extract(IDictionary<string, object?>? headers) =>
        headers is null
            ? default
            : Propagator.Extract(default, headers, static (carrier, key) =>
                carrier.TryGetValue(key, out var value) && HeaderText(value) is { } text ? [text] : []);

    /// <summary>Parses a stored <c>traceparent</c>/<c>tracestate</c> pair (as the outbox keeps them).</summary>
    /// <param name="traceParent">The W3C traceparent, or null.</param>
    /// <param name="traceState">The W3C tracestate, or null.</param>
    /// <returns>The context, or default when there is none or it is malformed.</returns>
    public static ActivityContext ParseContext(string? traceParent, string? traceState) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context)
            ? context
            : default;

    /// <summary>A header value as text: AMQP hands strings back as UTF-8 bytes.</summary>
    /// <param name="value">The header value.</param>
    /// <returns>The text, or null.</returns>
    public static string? HeaderText(object? value) => value switch
    {
        null => null,
        string text => text,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        ReadOnlyMemory<byte> memory => Encoding.UTF8.GetString(memory.Span),
        _ => value.ToString(),
    };
}
