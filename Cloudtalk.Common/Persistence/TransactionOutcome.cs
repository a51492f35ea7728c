using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Whether a write committed, asked after the fact, for a write whose commit's answer was lost (the connection dropped
/// during COMMIT): it looks for a row the write added, once that commit can no longer be under way.
/// </summary>
public static class TransactionOutcome
{
    private static readonly TimeSpan InProgressPoll = TimeSpan.FromMilliseconds(50);
    private const int InProgressPolls = 100;

    /// <summary>
    /// True if the row that <paramref name="rowExists"/> looks for is committed. If it is not there yet, waits for
    /// every transaction in progress to end (<see cref="WaitForTransactionsInProgressAsync"/>) and looks once more:
    /// the lost commit may still be under way, and answering "not committed" then would let the caller write twice.
    /// Nothing is added to the normal path: it runs only on a retry.
    /// </summary>
    /// <param name="context">Any context on the database (a new connection is fine), outside a transaction.</param>
    /// <param name="rowExists">Looks for the row the write added (read-only).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public static async Task<bool> IsRowCommittedAsync(this DbContext context, Func<CancellationToken, Task<bool>> rowExists,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rowExists);
        if (await rowExists(cancellationToken))
        {
            return true;
        }

        await context.WaitForTransactionsInProgressAsync(cancellationToken);
        return await rowExists(cancellationToken);
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
