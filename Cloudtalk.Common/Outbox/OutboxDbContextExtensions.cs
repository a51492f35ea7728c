using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Cloudtalk.Common.Outbox;

/// <summary>The outbox API a service calls where it changes data.</summary>
public static partial class OutboxDbContextExtensions
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
    public static Task InsertOutboxEventsAsync(this DbContext context, IReadOnlyList<OutboxMessage> messages,
        CancellationToken cancellationToken) =>
        context.ExecuteWithOutboxEventsAsync([], messages, cancellationToken);

    /// <summary>
    /// Runs <paramref name="changes"/> (each an <c>INSERT</c>, <c>UPDATE</c> or <c>DELETE</c>) and inserts
    /// <paramref name="messages"/> into the context's outbox as one SQL statement (each change a data-modifying
    /// <c>WITH</c>), and wakes the relay after it commits. One round trip for all of it; outside a transaction the
    /// statement commits on its own, changes and events together or none of them.
    /// </summary>
    /// <remarks>The changes run on one snapshot and cannot see each other's rows: each must touch rows of its own.</remarks>
    /// <param name="context">The context whose outbox takes the rows.</param>
    /// <param name="changes">The changes, in order; none for the events alone.</param>
    /// <param name="messages">The rows (<see cref="OutboxMessage.Create{TEvent}"/>).</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    public static async Task ExecuteWithOutboxEventsAsync(this DbContext context, IReadOnlyList<FormattableString> changes,
        IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(messages);
        List<FormattableString> statements = [.. changes];
        if (messages.Count > 0)
        {
            statements.Add(OutboxInsert(messages));
        }

        if (statements.Count == 0)
        {
            return;
        }

        await context.Database.ExecuteSqlAsync(Combined(statements), cancellationToken);
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var observer in context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors
                     ?.OfType<IOutboxRowsWrittenObserver>() ?? [])
        {
            observer.OutboxRowsWritten(context);
        }
    }

    private static FormattableString OutboxInsert(IReadOnlyList<OutboxMessage> messages)
    {
        var ids = messages.Select(message => message.Id).ToArray();
        var types = messages.Select(message => message.Type).ToArray();
        var routingKeys = messages.Select(message => message.RoutingKey).ToArray();
        var payloads = messages.Select(message => message.Payload).ToArray();
        var traceParents = messages.Select(message => message.TraceParent).ToArray();
        var traceStates = messages.Select(message => message.TraceState).ToArray();
        var createdAt = messages.Select(message => message.CreatedAt).ToArray();
        return $"""
            INSERT INTO outbox_messages (id, type, routing_key, payload, trace_parent, trace_state, created_at)
            SELECT id, type, routing_key, payload::jsonb, trace_parent, trace_state, created_at
            FROM unnest({ids}, {types}, {routingKeys}, {payloads}, {traceParents}, {traceStates}, {createdAt})
                AS message(id, type, routing_key, payload, trace_parent, trace_state, created_at)
            """;
    }

    /// <summary>One statement: every statement but the last becomes a data-modifying <c>WITH</c> of the last.</summary>
    private static FormattableString Combined(List<FormattableString> statements)
    {
        if (statements.Count == 1)
        {
            return statements[0];
        }

        var format = new StringBuilder("WITH ");
        var arguments = new List<object?>();
        for (var i = 0; i < statements.Count; i++)
        {
            // Each statement numbers its arguments from 0; in the combined one they follow the earlier statements'.
            var offset = arguments.Count;
            var text = Placeholder().Replace(statements[i].Format, match => match.Groups[1].Success
                ? "{" + (int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) + offset).ToString(CultureInfo.InvariantCulture)
                : match.Value);
            arguments.AddRange(statements[i].GetArguments());
            format.Append(i < statements.Count - 1
                ? "change" + i.ToString(CultureInfo.InvariantCulture) + " AS (\n" + text + "\n)" + (i < statements.Count - 2 ? ",\n" : "\n")
                : text);
        }

        return FormattableStringFactory.Create(format.ToString(), [.. arguments]);
    }

    /// <summary>A composite-format placeholder's opening (its index in group 1), or an escaped brace.</summary>
    [GeneratedRegex(@"\{\{|\}\}|\{(\d+)")]
    private static partial Regex Placeholder();

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
