using System.Diagnostics;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

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
