using System.Diagnostics;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Cloudtalk.Common.Outbox;

/// <summary>The outbox API a service calls where it changes data.</summary>
public static class OutboxDbContextExtensions
{
    /// <summary>
    /// Adds <paramref name="event"/> to the context's outbox: it is written by the same <c>SaveChanges</c> (and in
    /// the same transaction) as the business change, so both commit or neither does. After the commit the relay
    /// publishes it within milliseconds (the commit wakes it). The model must contain the outbox
    /// (<see cref="OutboxModelBuilderExtensions.AddOutbox"/>) and the context must be registered with
    /// <see cref="OutboxServiceCollectionExtensions.AddOutbox{TContext}"/>.
    /// </summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <param name="context">The context that holds the business change.</param>
    /// <param name="event">The event.</param>
    /// <param name="eventId">The event id; a new UUIDv7 when null.</param>
    /// <param name="raisedIn">The operation that raised it, whose trace the event continues; <see cref="Activity.Current"/>
    /// when null. A write made on behalf of another operation (a batch of requests) names that operation here.</param>
    /// <returns>The added row.</returns>
    public static OutboxMessage AddOutboxEvent<TEvent>(this DbContext context, TEvent @event, Guid? eventId = null,
        Activity? raisedIn = null)
        where TEvent : IIntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = OutboxMessage.Create(@event, eventId, raisedIn: raisedIn);
        context.Set<OutboxMessage>().Add(message);
        return message;
    }

    /// <summary>
    /// Inserts <paramref name="messages"/> into the context's outbox with one statement, in the context's current
    /// transaction, and wakes the relay after it commits. For writes of many rows at once: EF Core's <c>SaveChanges</c>
    /// inserts row by row, each with a parameter and a change-tracking entry per column, which costs a busy writer
    /// more than the rows themselves. The rows are not tracked.
    /// </summary>
    /// <param name="context">The context whose outbox takes the rows.</param>
    /// <param name="messages">The rows (<see cref="OutboxMessage.Create{TEvent}"/>).</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    public static async Task InsertOutboxEventsAsync(this DbContext context, IReadOnlyList<OutboxMessage> messages,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        var ids = messages.Select(message => message.Id).ToArray();
        var types = messages.Select(message => message.Type).ToArray();
        var routingKeys = messages.Select(message => message.RoutingKey).ToArray();
        var payloads = messages.Select(message => message.Payload).ToArray();
        var traceParents = messages.Select(message => message.TraceParent).ToArray();
        var traceStates = messages.Select(message => message.TraceState).ToArray();
        var createdAt = messages.Select(message => message.CreatedAt).ToArray();
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO outbox_messages (id, type, routing_key, payload, trace_parent, trace_state, created_at)
            SELECT id, type, routing_key, payload::jsonb, trace_parent, trace_state, created_at
            FROM unnest({ids}, {types}, {routingKeys}, {payloads}, {traceParents}, {traceStates}, {createdAt})
                AS message(id, type, routing_key, payload, trace_parent, trace_state, created_at)
            """, cancellationToken);
        foreach (var observer in context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors
                     ?.OfType<IOutboxRowsWrittenObserver>() ?? [])
        {
            observer.OutboxRowsWritten(context);
        }
    }

    /// <summary>
    /// True if the outbox row <paramref name="eventId"/> is committed. A write that adds an event learns from it
    /// whether its transaction committed when the commit's answer was lost (the <c>verifySucceeded</c> of EF Core's
    /// <c>ExecuteInTransactionAsync</c>): the row exists exactly if the transaction that added it committed. If it is
    /// not there yet, the check waits for every transaction in progress to end and looks once more: the lost commit
    /// may still be under way. False for a null id (the attempt wrote nothing, so running it again changes nothing
    /// either).
    /// </summary>
    /// <param name="context">The context whose outbox the row was added to.</param>
    /// <param name="eventId">The <see cref="OutboxMessage.Id"/> the attempt added, if it added one.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public static Task<bool> IsOutboxEventCommittedAsync(this DbContext context, Guid? eventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return eventId is { } id
            ? context.IsRowCommittedAsync(
                ct => context.Set<OutboxMessage>().AsNoTracking().AnyAsync(message => message.Id == id, ct), cancellationToken)
            : Task.FromResult(false);
    }
}
