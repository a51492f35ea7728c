using Cloudtalk.Common.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Text.Json;

namespace Cloudtalk.Common.Messaging;

/// <summary>One consuming queue and the handler of each event name it carries.</summary>
public sealed class EventConsumerRegistration
{
    private readonly Dictionary<string, EventDispatcher> _dispatchers = new(StringComparer.Ordinal);

    /// <summary>Creates the registration of a queue.</summary>
    /// <param name="queue">The queue to consume (declared by <see cref="MessagingTopology"/>).</param>
    public EventConsumerRegistration(string queue) => Queue = queue;

    /// <summary>The queue.</summary>
    public string Queue { get; }

    /// <summary>The event names that have a handler.</summary>
    public IReadOnlyCollection<string> EventNames => _dispatchers.Keys;

    /// <summary>Deserializes a body and runs the handler of its event name.</summary>
    /// <param name="services">The scope's services.</param>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <param name="metadata">The event's metadata.</param>
    /// <param name="cancellationToken">Stops the handler.</param>
    /// <returns>The handler's task.</returns>
    public delegate Task EventDispatcher(IServiceProvider services, object body, EventMetadata metadata, CancellationToken cancellationToken);

    /// <summary>Parses a body into the event type of a name; throws <see cref="JsonException"/> for bad JSON.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <returns>The event object.</returns>
    public delegate object EventParser(ReadOnlyMemory<byte> body);

    private readonly Dictionary<string, EventParser> _parsers = new(StringComparer.Ordinal);

    internal void Add<TEvent, THandler>()
        where TEvent : class, IIntegrationEvent
        where THandler : IIntegrationEventHandler<TEvent>
    {
        _parsers[TEvent.EventName] = static body =>
            JsonSerializer.Deserialize<TEvent>(body.Span, EventJson.Options)
            ?? throw new JsonException($"The body of a {TEvent.EventName} event is null.");
        _dispatchers[TEvent.EventName] = static (services, body, metadata, cancellationToken) =>
            services.GetRequiredService<THandler>().HandleAsync((TEvent)body, metadata, cancellationToken);
    }

    /// <summary>Finds the parser and handler of an event name.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="parser">Its parser.</param>
    /// <param name="dispatcher">Its handler.</param>
    /// <returns>False for an event name this queue has no handler for.</returns>
    public bool TryGet(string eventName, out EventParser parser, out EventDispatcher dispatcher)
    {
        if (_parsers.TryGetValue(eventName, out var foundParser) && _dispatchers.TryGetValue(eventName, out var foundDispatcher))
        {
            parser = foundParser;
            dispatcher = foundDispatcher;
            return true;
        }

        parser = null!;
        dispatcher = null!;
        return false;
    }
}

/// <summary>Adds handlers to a consumer registered with <see cref="MessagingServiceCollectionExtensions.AddEventConsumer"/>.</summary>
/// <param name="services">The service collection.</param>
/// <param name="registration">The consumer's registration.</param>
public sealed class EventConsumerBuilder(IServiceCollection services, EventConsumerRegistration registration)
{
    /// <summary>The consumer's registration.</summary>
    public EventConsumerRegistration Registration { get; } = registration;

    /// <summary>Handles <typeparamref name="TEvent"/> with <typeparamref name="THandler"/> (registered scoped).</summary>
    /// <typeparam name="TEvent">The event type; its <see cref="IIntegrationEvent.EventName"/> must be bound to the queue.</typeparam>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <returns>This builder.</returns>
    public EventConsumerBuilder AddHandler<TEvent, THandler>()
        where TEvent : class, IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.TryAddScoped<THandler>();
        Registration.Add<TEvent, THandler>();
        return this;
    }
}
