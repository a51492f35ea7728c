using System.Text.Json;
using Cloudtalk.Common.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Common.Messaging;

/// <summary>One consuming queue: the event names it accepts, how each body is parsed, and its handler.</summary>
/// <param name="queue">The queue to consume (declared by <see cref="MessagingTopology"/>).</param>
/// <param name="handlerType">The queue's <see cref="IIntegrationEventBatchHandler"/>, registered scoped.</param>
public sealed class EventConsumerRegistration(string queue, Type handlerType)
{
    private readonly Dictionary<string, EventParser> _parsers = new(StringComparer.Ordinal);

    /// <summary>Parses a body into the event type of a name; throws <see cref="JsonException"/> for bad JSON.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <returns>The event.</returns>
    public delegate IIntegrationEvent EventParser(ReadOnlyMemory<byte> body);

    /// <summary>The queue.</summary>
    public string Queue { get; } = queue;

    /// <summary>The event names the queue's handler accepts.</summary>
    public IReadOnlyCollection<string> EventNames => _parsers.Keys;

    /// <summary>The queue's handler, from a scope's services.</summary>
    /// <param name="services">The scope's services.</param>
    /// <returns>The handler.</returns>
    public IIntegrationEventBatchHandler ResolveHandler(IServiceProvider services) =>
        (IIntegrationEventBatchHandler)services.GetRequiredService(handlerType);

    internal void Accept<TEvent>()
        where TEvent : class, IIntegrationEvent =>
        _parsers[TEvent.EventName] = static body =>
            JsonSerializer.Deserialize<TEvent>(body.Span, EventJson.Options)
            ?? throw new JsonException($"The body of a {TEvent.EventName} event is null.");

    /// <summary>Finds the parser of an event name.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="parser">Its parser.</param>
    /// <returns>False for an event name the queue's handler does not accept.</returns>
    public bool TryGetParser(string eventName, out EventParser parser)
    {
        if (_parsers.TryGetValue(eventName, out var found))
        {
            parser = found;
            return true;
        }

        parser = null!;
        return false;
    }
}

/// <summary>Lists the events a consumer registered with <see cref="MessagingServiceCollectionExtensions.AddEventConsumer{THandler}"/> accepts.</summary>
/// <param name="registration">The consumer's registration.</param>
public sealed class EventConsumerBuilder(EventConsumerRegistration registration)
{
    /// <summary>The consumer's registration.</summary>
    public EventConsumerRegistration Registration { get; } = registration;

    /// <summary>The handler accepts <typeparamref name="TEvent"/>: its messages are parsed into that type.</summary>
    /// <typeparam name="TEvent">The event type; its <see cref="IIntegrationEvent.EventName"/> must be bound to the queue.</typeparam>
    /// <returns>This builder.</returns>
    public EventConsumerBuilder Accept<TEvent>()
        where TEvent : class, IIntegrationEvent
    {
        Registration.Accept<TEvent>();
        return this;
    }
}
