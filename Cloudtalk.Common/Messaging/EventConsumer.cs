using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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
/// Consumes one queue: manual acks, a bounded prefetch, up to <see cref="MessagingOptions.ConsumerConcurrency"/>
/// deliveries handled at once, each in a fresh DI scope and acknowledged only after its handler returned (committed). A handler failure is retried in-process with exponential backoff
/// (<see cref="MessagingOptions.MaxHandlingAttempts"/>), then the message is rejected without requeue, which the
/// queue dead-letters into <c>&lt;queue&gt;.dlq</c>; bad JSON, a missing or malformed message id, an event name the
/// queue has no handler for, or an <see cref="UnprocessableEventException"/> is dead-lettered at once. A transient
/// failure (<see cref="TransientFailures"/>) is retried until it passes or the service stops, never dead-lettered.
/// The consumer span continues the producer's trace (W3C <c>traceparent</c> header).
/// The channel and the consumer come back with the connection's automatic recovery; a channel closed for good
/// is replaced by a new one. A message being handled when the service stops is not acknowledged, so the broker
/// hands it out again.
/// </summary>
public sealed partial class EventConsumer(
    EventConsumerRegistration registration,
    IServiceProvider services,
    IOptions<MessagingOptions> options,
    ILogger<EventConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    /// <summary>The queue this consumer reads.</summary>
    public string Queue => registration.Queue;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            IChannel? channel = null;
            try
            {
                var connection = services.GetRequiredService<IConnection>();
                channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false,
                        consumerDispatchConcurrency: Math.Max((ushort)1, options.Value.ConsumerConcurrency)),
                    stoppingToken);
                await MessagingTopology.DeclareAsync(channel, stoppingToken);
                await channel.BasicQosAsync(prefetchSize: 0, options.Value.PrefetchCount, global: false, stoppingToken);

                var consumer = new AsyncEventingBasicConsumer(channel);
                var current = channel;
                consumer.ReceivedAsync += (_, delivery) => OnReceivedAsync(current, delivery, stoppingToken);
                await channel.BasicConsumeAsync(registration.Queue, autoAck: false, consumer, stoppingToken);
                LogConsuming(logger, registration.Queue, options.Value.PrefetchCount, options.Value.ConsumerConcurrency);
                failures = 0;

                // Automatic recovery reopens the channel and its consumer after a connection loss; a channel that
                // is closed while the connection is up (a channel-level error) stays closed: replace it.
                var closedTicks = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await Task.Delay(WatchInterval, stoppingToken);
                    closedTicks = channel.IsClosed && connection.IsOpen ? closedTicks + 1 : 0;
                    if (closedTicks >= 3)
                    {
                        LogChannelLost(logger, registration.Queue, channel.CloseReason?.ReplyText);
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                failures++;
                LogConsumerFailed(logger, exception, registration.Queue);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, failures)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                if (channel is not null)
                {
                    try
                    {
                        await channel.DisposeAsync();
                    }
                    catch (Exception)
                    {
                        // Closing a broken channel may fail; it is abandoned either way.
                    }
                }
            }
        }
    }

    private async Task OnReceivedAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var properties = delivery.BasicProperties;
        var eventName = properties.Type is { Length: > 0 } type ? type : delivery.RoutingKey;
        var parent = MessagingTelemetry.Extract(properties.Headers);
        Baggage.Current = parent.Baggage;
        using var activity = MessagingTelemetry.ActivitySource.StartActivity(
            $"process {registration.Queue}", ActivityKind.Consumer, parent.ActivityContext);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.operation.name", "process");
        activity?.SetTag("messaging.destination.name", registration.Queue);
        activity?.SetTag("messaging.rabbitmq.destination.routing_key", delivery.RoutingKey);
        activity?.SetTag("messaging.rabbitmq.message.delivery_tag", delivery.DeliveryTag);
        activity?.SetTag("messaging.message.id", properties.MessageId);
        activity?.SetTag("cloudtalk.event", eventName);

        var tags = new TagList { { "messaging.destination.name", registration.Queue }, { "cloudtalk.event", eventName } };
        var started = Stopwatch.GetTimestamp();
        try
        {
            var outcome = await HandleAsync(delivery, eventName, tags, stoppingToken);
            switch (outcome)
            {
                case Outcome.Handled:
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
                    MessagingTelemetry.Consumed.Add(1, tags);
                    break;
                case Outcome.DeadLetter:
                    activity?.SetStatus(ActivityStatusCode.Error, "dead-lettered");
                    await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: false, CancellationToken.None);
                    MessagingTelemetry.DeadLettered.Add(1, tags);
                    break;
                case Outcome.Abandoned:
                    // Stopping: neither ack nor nack; the broker redelivers it when the channel closes.
                    break;
            }
        }
        catch (Exception exception)
        {
            // The ack or nack failed (the channel went away): the broker redelivers the message, handlers are idempotent.
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            LogSettleFailed(logger, exception, properties.MessageId, registration.Queue);
        }
        finally
        {
            MessagingTelemetry.HandlingTime.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private enum Outcome
    {
        Handled,
        DeadLetter,
        Abandoned,
    }

    private async Task<Outcome> HandleAsync(BasicDeliverEventArgs delivery, string eventName, TagList tags, CancellationToken stoppingToken)
    {
        var properties = delivery.BasicProperties;
        if (!Guid.TryParse(properties.MessageId, out var eventId))
        {
            LogDeadLetter(logger, properties.MessageId, eventName, registration.Queue, "its message-id is not a UUID");
            return Outcome.DeadLetter;
        }

        if (!registration.TryGet(eventName, out var parser, out var dispatcher))
        {
            LogDeadLetter(logger, properties.MessageId, eventName, registration.Queue, "no handler knows its type");
            return Outcome.DeadLetter;
        }

        object body;
        try
        {
            body = parser(delivery.Body);
        }
        catch (JsonException exception)
        {
            LogDeadLetter(logger, properties.MessageId, eventName, registration.Queue, "its body is not valid JSON for its type: " + exception.Message);
            return Outcome.DeadLetter;
        }

        var metadata = new EventMetadata(eventId, eventName, OccurredAt(properties));
        var attempt = 0;
        var transientAttempt = 0;
        while (true)
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                await dispatcher(scope.ServiceProvider, body, metadata, stoppingToken);
                return Outcome.Handled;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return Outcome.Abandoned;
            }
            catch (UnprocessableEventException exception)
            {
                LogDeadLetter(logger, properties.MessageId, eventName, registration.Queue, exception.Message);
                return Outcome.DeadLetter;
            }
            catch (Exception exception) when (TransientFailures.IsTransient(exception))
            {
                transientAttempt++;
                var delay = options.Value.RetryDelay(transientAttempt);
                if (delay > options.Value.MaxTransientRetryDelay)
                {
                    delay = options.Value.MaxTransientRetryDelay;
                }

                LogTransientFailure(logger, exception, properties.MessageId, eventName, delay);
                MessagingTelemetry.Retried.Add(1, tags);
                if (!await DelayAsync(delay, stoppingToken))
                {
                    return Outcome.Abandoned;
                }
            }
            catch (Exception exception)
            {
                attempt++;
                if (attempt >= options.Value.MaxHandlingAttempts)
                {
                    LogGaveUp(logger, exception, properties.MessageId, eventName, attempt, registration.Queue);
                    return Outcome.DeadLetter;
                }

                var delay = options.Value.RetryDelay(attempt);
                LogRetrying(logger, exception, properties.MessageId, eventName, attempt, delay);
                MessagingTelemetry.Retried.Add(1, tags);
                if (!await DelayAsync(delay, stoppingToken))
                {
                    return Outcome.Abandoned;
                }
            }
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Queue} with a prefetch of {Prefetch}, {Concurrency} at a time.")]
    private static partial void LogConsuming(ILogger logger, string queue, ushort prefetch, ushort concurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The channel consuming {Queue} was closed ({Reason}); opening a new one.")]
    private static partial void LogChannelLost(ILogger logger, string queue, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming {Queue} failed; trying again.")]
    private static partial void LogConsumerFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} ({EventName}) goes to the dead-letter queue of {Queue}: {Reason}.")]
    private static partial void LogDeadLetter(ILogger logger, string? messageId, string eventName, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {MessageId} ({EventName}) failed (attempt {Attempt}); retrying in {Delay}.")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string? messageId, string eventName, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {MessageId} ({EventName}) failed for a transient reason; retrying in {Delay}.")]
    private static partial void LogTransientFailure(ILogger logger, Exception exception, string? messageId, string eventName, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling {MessageId} ({EventName}) failed {Attempts} times; it goes to the dead-letter queue of {Queue}.")]
    private static partial void LogGaveUp(ILogger logger, Exception exception, string? messageId, string eventName, int attempts, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling message {MessageId} on {Queue} failed; the broker will deliver it again.")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string? messageId, string queue);
}
