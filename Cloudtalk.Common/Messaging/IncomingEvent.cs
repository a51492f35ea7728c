using System.Diagnostics;
using Cloudtalk.Common.Events;

namespace Cloudtalk.Common.Messaging;

/// <summary>One delivered event as an <see cref="IIntegrationEventBatchHandler"/> sees it: parsed, with its metadata.</summary>
/// <param name="Event">The body, of the type its event name maps to.</param>
/// <param name="Metadata">Its id, name and time.</param>
/// <param name="Activity">Its <c>process</c> span, which continues the producer's trace; null when not sampled.</param>
public sealed record IncomingEvent(IIntegrationEvent Event, EventMetadata Metadata, Activity? Activity)
{
    /// <summary>
    /// Makes this event's span the current one until the result is disposed. An outbox event added meanwhile
    /// (<c>AddOutboxEvent</c>) continues this event's trace rather than the batch's.
    /// </summary>
    /// <returns>Restores the previous current span when disposed.</returns>
    public IDisposable EnterTrace() => new TraceScope(Activity);

    private sealed class TraceScope : IDisposable
    {
        private readonly Activity? _previous = Activity.Current;

        public TraceScope(Activity? activity)
        {
            if (activity is not null)
            {
                Activity.Current = activity;
            }
        }

        public void Dispose() => Activity.Current = _previous;
    }
}
