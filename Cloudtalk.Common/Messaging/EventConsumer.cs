using Cloudtalk.Common.Diagnostics;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Cloudtalk.Common.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Consumes one queue with manual acks and a bounded prefetch. Deliveries go to
/// <see cref="MessagingOptions.ConsumerConcurrency"/> workers; each worker takes everything that waits, up to
/// <see cref="MessagingOptions.ConsumerBatchSize"/>, and hands it to the queue's
/// <see cref="IIntegrationEventBatchHandler"/> in a fresh DI scope: one transaction for many events when the queue is
/// busy, a single event at once when it is quiet. Every message is acknowledged only after the handler returned
/// (committed).
/// <list type="bullet">
/// <item>A failure is retried in-process with exponential backoff (<see cref="MessagingOptions.MaxHandlingAttempts"/>),
/// then the message is rejected without requeue, which the queue dead-letters into <c>&lt;queue&gt;.dlq</c>.</item>
/// <item>A batch of several events that fails for a reason that is not transient is handled again one event at a
/// time, so only the bad event is retried and dead-lettered; unless the handler names the bad events in an
/// <see cref="UnprocessableEventException"/> after handling the others: then those are dead-lettered and the
/// others acknowledged, and nothing is handled twice.</item>
/// <item>Bad JSON, a missing or malformed message id, an event name the handler does not accept, or an
/// <see cref="UnprocessableEventException"/> is dead-lettered at once.</item>
/// <item>A transient failure (<see cref="TransientFailures"/>) is retried until it passes or the service stops,
/// never dead-lettered.</item>
/// </list>
/// Each message gets a <c>process</c> span that continues its producer's trace (W3C <c>traceparent</c> header); a
/// batch of several gets one more span, linked to theirs, around the handler.
/// The channel and the consumer come back with the connection's automatic recovery; a channel closed for good
/// is replaced by a new one. When the service stops, deliveries stop (<c>basic.cancel</c>), the batches being handled
/// finish within <see cref="MessagingOptions.ConsumerStopGracePeriod"/> and are settled, and only then is the channel
/// closed; a message received but not handled by then is neither acknowledged nor rejected, so the broker hands it
/// out again.
/// </summary>
public sealed partial class EventConsumer(
    EventConsumerRegistration registration,
    IServiceProvider services,
    IOptions<MessagingOptions> options,
    ILogger<EventConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long an ack or a reject may take: a worker must never hang on a channel that went away.</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries received and not yet taken by a worker (at most the prefetch count per channel).</summary>
    private readonly Channel<ReceivedMessage> _received = Channel.CreateUnbounded<ReceivedMessage>();

    /// <summary>The queue this consumer reads.</summary>
    public string Queue => registration.Queue;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Cancelled only when a stopping consumer's grace period is over: until then a batch in hand is finished.
        using var handling = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Math.Max(1, (int)options.Value.ConsumerConcurrency))
            .Select(_ => Task.Run(() => WorkAsync(stoppingToken, handling.Token), CancellationToken.None))
            .ToArray();
        Subscription? subscription = null;
        try
        {
            subscription = await ConsumeAsync(stoppingToken);
        }
        finally
        {
            // Deliveries stop first; the workers then settle the batches they hold on the channel those came on, and
            // that channel closes last. Closed any earlier, it would make every batch in hand come again.
            if (subscription is not null)
            {
                await subscription.CancelAsync();
            }

            _received.Writer.TryComplete();
            handling.CancelAfter(options.Value.ConsumerStopGracePeriod);
            await Task.WhenAll(workers);
            if (subscription is not null)
            {
                await CloseAsync(subscription.Channel);
            }
        }
    }

    /// <summary>
    /// Keeps a channel consuming the queue, replacing it when it is closed for good. Returns, when the service stops,
    /// the subscription still open (null if there was none), which the caller closes once its messages are settled.
    /// </summary>
    private async Task<Subscription?> ConsumeAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            IChannel? channel = null;
            try
            {
                var connection = services.GetRequiredService<IConnection>();
                channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false),
                    stoppingToken);
                await MessagingTopology.DeclareAsync(channel, stoppingToken);
                await channel.BasicQosAsync(prefetchSize: 0, options.Value.PrefetchCount, global: false, stoppingToken);

                var consumer = new AsyncEventingBasicConsumer(channel);
                var current = channel;
                // After a stop has begun the writer is completed and a late delivery is left unsettled: it comes again.
                consumer.ReceivedAsync += (_, delivery) =>
                {
                    _received.Writer.TryWrite(ReceivedMessage.Copy(current, delivery));
                    return Task.CompletedTask;
                };
                var consumerTag = await channel.BasicConsumeAsync(registration.Queue, autoAck: false, consumer, stoppingToken);
                LogConsuming(logger, registration.Queue, options.Value.PrefetchCount, options.Value.ConsumerConcurrency,
                    options.Value.ConsumerBatchSize);
                failures = 0;

                // Automatic recovery reopens the channel and its consumer after a connection loss; a channel that
                // is closed while the connection is up (a channel-level error) stays closed: replace it.
                var closedTicks = 0;
                while (closedTicks < 3)
                {
                    if (!await DelayAsync(WatchInterval, stoppingToken))
                    {
                        var open = new Subscription(channel, consumerTag);
                        channel = null;
                        return open;
                    }

                    closedTicks = channel.IsClosed && connection.IsOpen ? closedTicks + 1 : 0;
                }

                LogChannelLost(logger, registration.Queue, channel.CloseReason?.ReplyText);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                failures++;
                LogConsumerFailed(logger, registration.Queue, ErrorSummary.Of(exception));
                if (!await DelayAsync(TimeSpan.FromSeconds(Math.Min(10, failures)), stoppingToken))
                {
                    break;
                }
            }
            finally
            {
                if (channel is not null)
                {
                    await CloseAsync(channel);
                }
            }
        }

        return null;
    }

    private static async Task CloseAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync();
        }
        catch (Exception)
        {
            // Closing a broken channel may fail; it is abandoned either way, and the broker redelivers what it held.
        }
    }

    /// <summary>A channel consuming the queue, and the tag that stops its deliveries.</summary>
    private sealed record Subscription(IChannel Channel, string ConsumerTag)
    {
        /// <summary>Stops the deliveries (<c>basic.cancel</c>); what was delivered stays the channel's to settle.</summary>
        public async Task CancelAsync()
        {
            using var timeout = new CancellationTokenSource(SettleTimeout);
            try
            {
                await Channel.BasicCancelAsync(ConsumerTag, noWait: false, timeout.Token);
            }
            catch (Exception)
            {
                // The channel went away: nothing more is delivered on it, and what it held comes again.
            }
        }
    }

    /// <summary>
    /// Takes everything that waits (up to the batch size) and handles it, until the service stops. A batch in hand
    /// when it stops is finished unless <paramref name="handlingToken"/> cancels it (the grace period is over).
    /// </summary>
    private async Task WorkAsync(CancellationToken stoppingToken, CancellationToken handlingToken)
    {
        var batchSize = Math.Max(1, options.Value.ConsumerBatchSize);
        var batch = new List<ReceivedMessage>(batchSize);
        try
        {
            while (await _received.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < batchSize && _received.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                try
                {
                    await ProcessAsync(batch, stoppingToken, handlingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !handlingToken.IsCancellationRequested)
                {
                    // ProcessAsync settles or logs every message itself, so this is a bug. A message it did not settle stays
                    // unacknowledged until its channel closes, then comes again; the worker must go on either way.
                    LogWorkerFailed(logger, registration.Queue, ErrorSummary.Of(exception));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is never settled, and the broker delivers it again once the channel closes.
        }
    }

    private async Task ProcessAsync(List<ReceivedMessage> messages, CancellationToken stoppingToken, CancellationToken handlingToken)
    {
        var accepted = new List<(ReceivedMessage Message, IncomingEvent Event, TagList Tags)>(messages.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            foreach (var message in messages)
            {
                var activity = StartProcessActivity(message);
                var tags = new TagList { { "messaging.destination.name", registration.Queue }, { "cloudtalk.event", message.EventName } };
                if (Parse(message, activity) is { } incoming)
                {
                    accepted.Add((message, incoming, tags));
                }
                else
                {
                    await SettleAsync(message, activity, Outcome.DeadLetter, tags);
                    activity?.Dispose();
                }
            }

            if (accepted.Count == 0)
            {
                return;
            }

            var outcomes = await HandleAsync(accepted.ConvertAll(item => item.Event), stoppingToken, handlingToken);
            for (var i = 0; i < accepted.Count; i++)
            {
                await SettleAsync(accepted[i].Message, accepted[i].Event.Activity, outcomes[i], accepted[i].Tags);
            }

            if (accepted.Count > 1)
            {
                MessagingTelemetry.BatchSize.Record(accepted.Count,
                    new KeyValuePair<string, object?>("messaging.destination.name", registration.Queue));
            }
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            foreach (var item in accepted)
            {
                MessagingTelemetry.HandlingTime.Record(elapsed, item.Tags);
                item.Event.Activity?.Dispose();
            }

            Activity.Current = null;
        }
    }

    private Activity? StartProcessActivity(ReceivedMessage message)
    {
        var parent = MessagingTelemetry.Extract(message.Properties.Headers);
        var activity = SetProcessTags(MessagingTelemetry.ActivitySource.StartActivity(
            $"process {registration.Queue}", ActivityKind.Consumer, parent.ActivityContext));
        activity?.SetTag("messaging.rabbitmq.destination.routing_key", message.RoutingKey);
        activity?.SetTag("messaging.rabbitmq.message.delivery_tag", message.DeliveryTag);
        activity?.SetTag("messaging.message.id", message.Properties.MessageId);
        activity?.SetTag("cloudtalk.event", message.EventName);
        if (activity is not null)
        {
            activity.SetCustomProperty(BaggageProperty, parent.Baggage);
        }

        return activity;
    }

    private const string BaggageProperty = "cloudtalk.baggage";

    /// <summary>The event of a message, or null (and why, logged) when it can only be dead-lettered.</summary>
    private IncomingEvent? Parse(ReceivedMessage message, Activity? activity)
    {
        var properties = message.Properties;
        if (!Guid.TryParse(properties.MessageId, out var eventId))
        {
            LogDeadLetter(logger, properties.MessageId, message.EventName, registration.Queue, "its message-id is not a UUID");
            return null;
        }

        if (!registration.TryGetParser(message.EventName, out var parser))
        {
            LogDeadLetter(logger, properties.MessageId, message.EventName, registration.Queue, "no handler knows its type");
            return null;
        }

        try
        {
            return new IncomingEvent(parser(message.Body), new EventMetadata(eventId, message.EventName, OccurredAt(properties)), activity);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            LogDeadLetter(logger, properties.MessageId, message.EventName, registration.Queue,
                "its body is not valid JSON for its type: " + exception.Message);
            return null;
        }
    }

    private async Task SettleAsync(ReceivedMessage message, Activity? activity, Outcome outcome, TagList tags)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout);
        try
        {
            switch (outcome)
            {
                case Outcome.Handled:
                    await message.Channel.BasicAckAsync(message.DeliveryTag, multiple: false, timeout.Token);
                    MessagingTelemetry.Consumed.Add(1, tags);
                    break;
                case Outcome.DeadLetter:
                    activity?.SetStatus(ActivityStatusCode.Error, "dead-lettered");
                    await message.Channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: false, timeout.Token);
                    MessagingTelemetry.DeadLettered.Add(1, tags);
                    break;
                case Outcome.Abandoned:
                    // Stopping: neither ack nor nack; the broker redelivers it when the channel closes.
                    break;
            }
        }
        catch (Exception exception)
        {
            // The ack or nack failed or timed out (the channel went away): the broker redelivers the message, handlers
            // are idempotent.
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            LogSettleFailed(logger, message.Properties.MessageId, registration.Queue, ErrorSummary.Of(exception));
        }
    }

    private enum Outcome
    {
        Handled,
        DeadLetter,
        Abandoned,

        /// <summary>A batch of several failed for a reason of its own: handle its events one at a time.</summary>
        Split,
    }

    /// <summary>
    /// What became of a batch: one outcome for all its events, except for the events in <see cref="Unprocessable"/>
    /// (named by the handler, which handled the others), which are dead-lettered.
    /// </summary>
    private readonly record struct BatchOutcome(Outcome Outcome, IReadOnlySet<Guid>? Unprocessable = null)
    {
        public static implicit operator BatchOutcome(Outcome outcome) => new(outcome);

        public Outcome Of(IncomingEvent incoming) =>
            Unprocessable is not null && Unprocessable.Contains(incoming.Metadata.EventId) ? Outcome.DeadLetter : Outcome;
    }

    /// <summary>The outcome of each event: the batch's, or each event's own when the batch had to be split.</summary>
    private async Task<Outcome[]> HandleAsync(List<IncomingEvent> events, CancellationToken stoppingToken, CancellationToken handlingToken)
    {
        var batch = await HandleTogetherAsync(events, stoppingToken, handlingToken);
        if (batch.Outcome != Outcome.Split)
        {
            return events.Select(batch.Of).ToArray();
        }

        var outcomes = new Outcome[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            // Stopping: the events not yet handled on their own are left to the next delivery.
            outcomes[i] = stoppingToken.IsCancellationRequested
                ? Outcome.Abandoned
                : (await HandleTogetherAsync([events[i]], stoppingToken, handlingToken)).Outcome;
        }

        return outcomes;
    }

    /// <summary>
    /// Runs the handler on the events until it succeeds, the attempts are used up, or the service stops: a stop ends
    /// the retries at once, while a handler already running may finish until <paramref name="handlingToken"/> cancels.
    /// </summary>
    private async Task<BatchOutcome> HandleTogetherAsync(List<IncomingEvent> events, CancellationToken stoppingToken,
        CancellationToken handlingToken)
    {
        var first = events[0];
        var tags = new TagList { { "messaging.destination.name", registration.Queue }, { "cloudtalk.event", first.Metadata.EventName } };
        // One event runs in its own span (the producer's trace goes on); several run in a batch span linked to theirs.
        using var batchActivity = events.Count == 1 ? null : StartBatchActivity(events);
        Activity.Current = batchActivity ?? first.Activity;
        Baggage.Current = events.Count == 1 && first.Activity?.GetCustomProperty(BaggageProperty) is Baggage baggage ? baggage : default;

        var attempt = 0;
        var transientAttempt = 0;
        while (true)
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                await registration.ResolveHandler(scope.ServiceProvider).HandleAsync(events, handlingToken);
                return Outcome.Handled;
            }
            catch (OperationCanceledException) when (handlingToken.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (Exception exception) when (TransientFailures.IsTransient(exception))
            {
                transientAttempt++;
                var delay = options.Value.RetryDelay(transientAttempt);
                if (delay > options.Value.MaxTransientRetryDelay)
                {
                    delay = options.Value.MaxTransientRetryDelay;
                }

                LogTransientFailure(logger, first.Metadata.EventId, first.Metadata.EventName, events.Count, delay, ErrorSummary.Of(exception));
                MessagingTelemetry.Retried.Add(1, tags);
                if (!await DelayAsync(delay, stoppingToken))
                {
                    return Outcome.Abandoned;
                }
            }
            catch (UnprocessableEventException exception) when (events.Count > 1 && NamedIn(events, exception) is { Count: > 0 } named)
            {
                // The handler has handled the rest of the batch: only what it named is dead-lettered, nothing is split.
                foreach (var incoming in events.Where(incoming => named.Contains(incoming.Metadata.EventId)))
                {
                    LogDeadLetter(logger, incoming.Metadata.EventId.ToString(), incoming.Metadata.EventName, registration.Queue,
                        exception.Message);
                }

                return new BatchOutcome(Outcome.Handled, named);
            }
            catch (Exception exception) when (events.Count > 1)
            {
                LogBatchFailed(logger, events.Count, registration.Queue, ErrorSummary.Of(exception));
                batchActivity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
                return Outcome.Split;
            }
            catch (UnprocessableEventException exception)
            {
                LogDeadLetter(logger, first.Metadata.EventId.ToString(), first.Metadata.EventName, registration.Queue, exception.Message);
                return Outcome.DeadLetter;
            }
            catch (Exception exception)
            {
                attempt++;
                if (attempt >= options.Value.MaxHandlingAttempts)
                {
                    LogGaveUp(logger, first.Metadata.EventId, first.Metadata.EventName, attempt, registration.Queue, ErrorSummary.Of(exception));
                    return Outcome.DeadLetter;
                }

                var delay = options.Value.RetryDelay(attempt);
                LogRetrying(logger, first.Metadata.EventId, first.Metadata.EventName, attempt, delay, ErrorSummary.Of(exception));
                MessagingTelemetry.Retried.Add(1, tags);
                if (!await DelayAsync(delay, stoppingToken))
                {
                    return Outcome.Abandoned;
                }
            }
        }
    }

    /// <summary>The events of the batch the exception names as unprocessable.</summary>
    private static HashSet<Guid> NamedIn(List<IncomingEvent> events, UnprocessableEventException exception) =>
        events.Select(incoming => incoming.Metadata.EventId).Where(exception.EventIds.Contains).ToHashSet();

    private Activity? StartBatchActivity(List<IncomingEvent> events)
    {
        var links = events.Where(e => e.Activity is not null).Select(e => new ActivityLink(e.Activity!.Context));
        var activity = SetProcessTags(MessagingTelemetry.ActivitySource.StartActivity(ActivityKind.Consumer, parentContext: default,
            links: links, name: $"process {registration.Queue}"));
        activity?.SetTag("messaging.batch.message_count", events.Count);
        return activity;
    }

    /// <summary>The tags every <c>process</c> span of this queue carries (OpenTelemetry messaging conventions).</summary>
    private Activity? SetProcessTags(Activity? activity)
    {
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.operation.name", "process");
        activity?.SetTag("messaging.destination.name", registration.Queue);
        return activity;
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static DateTimeOffset OccurredAt(IReadOnlyBasicProperties properties)
    {
        if (properties.Headers is { } headers && headers.TryGetValue("occurred-at", out var value) &&
            DateTimeOffset.TryParse(MessagingTelemetry.HeaderText(value), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var occurredAt))
        {
            return occurredAt;
        }

        return properties.IsTimestampPresent()
            ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime)
            : DateTimeOffset.UtcNow;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} with a prefetch of {Prefetch}, {Concurrency} workers, batches of up to {BatchSize}.")]
    private static partial void LogConsuming(ILogger logger, string queue, ushort prefetch, ushort concurrency, int batchSize);

    [LoggerMessage(Level = LogLevel.Error, Message = "A worker consuming {Queue} failed ({Error}).")]
    private static partial void LogWorkerFailed(ILogger logger, string queue, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} events from {Queue} failed; handling them one at a time ({Error}).")]
    private static partial void LogBatchFailed(ILogger logger, int count, string queue, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The channel consuming {Queue} was closed ({Reason}); opening a new one.")]
    private static partial void LogChannelLost(ILogger logger, string queue, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming {Queue} failed; trying again ({Error}).")]
    private static partial void LogConsumerFailed(ILogger logger, string queue, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} ({EventName}) goes to the dead-letter queue of {Queue}: {Reason}.")]
    private static partial void LogDeadLetter(ILogger logger, string? messageId, string eventName, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {MessageId} ({EventName}) failed (attempt {Attempt}); retrying in {Delay} ({Error}).")]
    private static partial void LogRetrying(ILogger logger, Guid messageId, string eventName, int attempt, TimeSpan delay, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {Count} event(s), the first {MessageId} ({EventName}), failed for a transient reason; retrying in {Delay} ({Error}).")]
    private static partial void LogTransientFailure(ILogger logger, Guid messageId, string eventName, int count, TimeSpan delay, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling {MessageId} ({EventName}) failed {Attempts} times; it goes to the dead-letter queue of {Queue} ({Error}).")]
    private static partial void LogGaveUp(ILogger logger, Guid messageId, string eventName, int attempts, string queue, ErrorSummary error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling message {MessageId} on {Queue} failed; the broker will deliver it again ({Error}).")]
    private static partial void LogSettleFailed(ILogger logger, string? messageId, string queue, ErrorSummary error);
}
