using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// <see cref="IEventPublisher"/> on RabbitMQ.Client 7: one channel with publisher confirms (tracked, so each
/// <c>BasicPublishAsync</c> awaits its ack and throws on a nack or a return), persistent messages,
/// <c>mandatory</c> so an unroutable message is an error, not a silent drop. The channel comes back with the
/// connection's automatic recovery; a channel closed for good (a channel-level error) is replaced on the next publish.
/// </summary>
public sealed partial class RabbitMqEventPublisher(
    IConnection connection,
    IOptions<MessagingOptions> options,
    ILogger<RabbitMqEventPublisher> logger) : IEventPublisher, IAsyncDisposable
{
    private const string ContentType = "application/json";
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private IChannel? _channel;

    /// <inheritdoc />
    public async Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var channel = await GetChannelAsync(cancellationToken);

        var parent = MessagingTelemetry.ParseContext(message.TraceParent, message.TraceState);
        using var activity = MessagingTelemetry.ActivitySource.StartActivity(
            $"publish {message.RoutingKey}", ActivityKind.Producer,
            parent == default ? (Activity.Current?.Context ?? default) : parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.operation.name", "publish");
        activity?.SetTag("messaging.destination.name", MessagingTopology.Exchange);
        activity?.SetTag("messaging.rabbitmq.destination.routing_key", message.RoutingKey);
        activity?.SetTag("messaging.message.id", message.EventId.ToString());
        activity?.SetTag("messaging.message.body.size", message.Body.Length);

        var headers = new Dictionary<string, object?>
        {
            ["occurred-at"] = message.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        };
        MessagingTelemetry.Inject(activity, headers);
        if (activity is null && message.TraceParent is not null)
        {
            // Nobody listens to our spans: still carry the caller's context so the trace is not cut.
            headers[MessagingTelemetry.TraceParentHeader] = message.TraceParent;
            if (message.TraceState is not null)
            {
                headers[MessagingTelemetry.TraceStateHeader] = message.TraceState;
            }
        }

        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = ContentType,
            MessageId = message.EventId.ToString(),
            Type = message.EventName,
            Timestamp = new AmqpTimestamp(message.OccurredAt.ToUnixTimeSeconds()),
            Headers = headers,
        };

        var tags = new TagList { { "messaging.destination.name", MessagingTopology.Exchange }, { "cloudtalk.event", message.EventName } };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishConfirmTimeout);
        try
        {
            MessagingTelemetry.Published.Add(1, tags);
            await channel.BasicPublishAsync(MessagingTopology.Exchange, message.RoutingKey, mandatory: true,
                properties, message.Body, timeout.Token);
            MessagingTelemetry.Confirmed.Add(1, tags);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "confirmation timeout");
            throw new TimeoutException(
                $"The broker did not confirm {message.EventName} {message.EventId} within {options.Value.PublishConfirmTimeout}.");
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
    }

    private async ValueTask<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        var channel = _channel;
        if (channel is not null && !IsClosedForGood(channel))
        {
            return channel;
        }

        await _channelLock.WaitAsync(cancellationToken);
        try
        {
            if (_channel is not null && !IsClosedForGood(_channel))
            {
                return _channel;
            }

            if (_channel is not null)
            {
                LogReplacingChannel(logger, _channel.CloseReason?.ReplyText);
                await DisposeChannelAsync(_channel);
                _channel = null;
            }

            var created = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken);
            try
            {
                await MessagingTopology.DeclareAsync(created, cancellationToken);
            }
            catch
            {
                await DisposeChannelAsync(created);
                throw;
            }

            _channel = created;
            return created;
        }
        finally
        {
            _channelLock.Release();
        }
    }

    /// <summary>
    /// Closed while the connection is up: a channel-level error, which automatic recovery does not repair.
    /// (While the connection is down the channel is closed too, but recovery will reopen it.)
    /// </summary>
    private bool IsClosedForGood(IChannel channel) => channel.IsClosed && connection.IsOpen;

    private static async Task DisposeChannelAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync();
        }
        catch (Exception)
        {
            // A broken channel may fail to close; it is abandoned either way.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await DisposeChannelAsync(_channel);
            _channel = null;
        }

        _channelLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The publishing channel was closed ({Reason}); opening a new one.")]
    private static partial void LogReplacingChannel(ILogger logger, string? reason);
}
