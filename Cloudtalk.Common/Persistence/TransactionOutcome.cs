using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Whether a PostgreSQL transaction committed, asked after the fact, for a write whose commit's answer was lost (the
/// connection dropped during COMMIT). PostgreSQL keeps the status of recent transactions (<c>pg_xact_status</c>),
/// which is made for exactly this; a write that added a row of its own can look for that row instead, once the commit
/// can no longer be under way (<see cref="WaitForTransactionsInProgressAsync"/>).
/// </summary>
public static class TransactionOutcome
{
    private static readonly TimeSpan InProgressPoll = TimeSpan.FromMilliseconds(50);
    private const int InProgressPolls = 100;

    /// <summary>
    /// The id of the context's current transaction (assigning one if it has none yet): one round trip. Call it inside
    /// the transaction whose outcome may have to be asked for.
    /// </summary>
    /// <param name="context">A context with an open transaction.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static Task<string> CurrentTransactionIdAsync(this DbContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Database.SqlQuery<string>($"SELECT pg_current_xact_id()::text AS \"Value\"")
            .SingleAsync(cancellationToken);
    }

    /// <summary>
    /// True if transaction <paramref name="transactionId"/> committed; false if it aborted, never got an id (null), or
    /// is too old to be known. A transaction still committing (its client gone, the server not done) is waited for,
    /// up to 5 s: answering "not committed" then would let the caller write a second time.
    /// </summary>
    /// <param name="context">Any context on the same database (a new connection is fine).</param>
    /// <param name="transactionId">What <see cref="CurrentTransactionIdAsync"/> returned in the attempt.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public static async Task<bool> IsTransactionCommittedAsync(this DbContext context, string? transactionId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (transactionId is null)
        {
            return false;
        }

        for (var poll = 0; ; poll++)
        {
            var status = await context.Database
                .SqlQuery<string?>($"SELECT pg_xact_status({transactionId}::xid8) AS \"Value\"")
                .SingleAsync(cancellationToken);
            if (status != "in progress" || poll == InProgressPolls)
            {
                return status == "committed";
            }

            await Task.Delay(InProgressPoll, cancellationToken);
        }
    }

    /// <summary>
    /// Returns once every transaction that is in progress now has ended (committed or aborted), or after 5 s. A write
    /// whose commit's answer was lost calls it before it looks for its own row: PostgreSQL may still be finishing that
    /// commit (flushing its WAL), and the row is not visible until it has.
    /// </summary>
    /// <param name="context">Any context on the database (a new connection is fine), outside a transaction.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task WaitForTransactionsInProgressAsync(this DbContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Every transaction in progress now has an id below the one this statement takes (and commits at once); they
        // have all ended when the oldest transaction still running is younger than that (pg_snapshot_xip would not
        // do: it omits transactions at or above the snapshot's xmax, which may be the very one waited for).
        var next = await context.Database.SqlQuery<string>($"SELECT pg_current_xact_id()::text AS \"Value\"")
            .SingleAsync(cancellationToken);
        for (var poll = 0; poll < InProgressPolls; poll++)
        {
            var ended = await context.Database
                .SqlQuery<bool>($"SELECT pg_snapshot_xmin(pg_current_snapshot()) > {next}::xid8 AS \"Value\"")
                .SingleAsync(cancellationToken);
            if (ended)
            {
                return;
            }

            await Task.Delay(InProgressPoll, cancellationToken);
        }
    }
}
