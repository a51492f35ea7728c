namespace Cloudtalk.Common.Messaging;

/// <summary>
/// A batch sorted by a handler's validation into the events it can process and the ones it rejects. The handler
/// processes <see cref="Accepted"/> and then throws <see cref="Rejection"/>, which names the rejected events: the
/// consumer dead-letters those alone and acknowledges the rest, instead of handling the whole batch again one event
/// at a time because one event in it is impossible.
/// </summary>
public sealed class ValidatedBatch
{
    private readonly List<(Guid EventId, string Problem)> _rejected;

    private ValidatedBatch(IReadOnlyList<IncomingEvent> accepted, List<(Guid EventId, string Problem)> rejected)
    {
        Accepted = accepted;
        _rejected = rejected;
    }

    /// <summary>The events that passed validation, in the batch's order.</summary>
    public IReadOnlyList<IncomingEvent> Accepted { get; }

    /// <summary>Sorts <paramref name="batch"/>.</summary>
    /// <param name="batch">The batch the consumer handed over.</param>
    /// <param name="problemOf">Why an event can never be processed, or null if it can.</param>
    public static ValidatedBatch Of(IReadOnlyList<IncomingEvent> batch, Func<IncomingEvent, string?> problemOf)
    {
        List<(Guid EventId, string Problem)> rejected = [];
        foreach (var incoming in batch)
        {
            if (problemOf(incoming) is { } problem)
            {
                rejected.Add((incoming.Metadata.EventId, problem));
            }
        }

        if (rejected.Count == 0)
        {
            return new ValidatedBatch(batch, rejected);
        }

        // By id: a redelivered copy of a rejected event is rejected with it.
        var rejectedIds = rejected.Select(rejection => rejection.EventId).ToHashSet();
        return new ValidatedBatch([.. batch.Where(incoming => !rejectedIds.Contains(incoming.Metadata.EventId))], rejected);
    }

    /// <summary>
    /// The exception to throw once <see cref="Accepted"/> is handled: it names the rejected events and those
    /// <paramref name="foundLater"/> names (events the handler found unprocessable while handling); null if there are
    /// none.
    /// </summary>
    /// <param name="foundLater">The handler's own, with the ids it names.</param>
    public UnprocessableEventException? Rejection(UnprocessableEventException? foundLater = null)
    {
        if (_rejected.Count == 0)
        {
            return foundLater;
        }

        var problems = _rejected.Select(rejection => rejection.Problem);
        var ids = _rejected.Select(rejection => rejection.EventId);
        if (foundLater is not null)
        {
            problems = problems.Append(foundLater.Message);
            ids = ids.Concat(foundLater.EventIds);
        }

        return new UnprocessableEventException(string.Join(" ", problems), [.. ids.Distinct()]);
    }
}
