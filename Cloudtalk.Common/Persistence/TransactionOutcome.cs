using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Whether a PostgreSQL transaction committed, asked after the fact: for a write whose commit's answer was lost
/// (the connection dropped during COMMIT) and that has no row of its own to look for. PostgreSQL keeps the status of
/// recent transactions (<c>pg_xact_status</c>), which is made for exactly this.
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
}
