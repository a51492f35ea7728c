using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Wakes the relay right after a commit that added outbox rows: after <c>SaveChanges</c> when it ran in its own
/// transaction, or after the explicit transaction's commit otherwise (never before the rows are visible).
/// </summary>
/// <typeparam name="TContext">The context whose relay is woken.</typeparam>
/// <param name="signal">The relay's signal.</param>
public sealed class OutboxCommitInterceptor<TContext>(OutboxSignal<TContext> signal) : SaveChangesInterceptor, IDbTransactionInterceptor
    where TContext : DbContext
{
    /// <inheritdoc />
    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        NotifyIfCommitted(eventData);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        NotifyIfCommitted(eventData);
        return ValueTask.FromResult(result);
    }

    private void NotifyIfCommitted(SaveChangesCompletedEventData eventData)
    {
        // Inside an explicit transaction the rows are not visible yet: TransactionCommitted will signal.
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }
    }

    /// <inheritdoc />
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => signal.Notify();

    /// <inheritdoc />
    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        signal.Notify();
        return Task.CompletedTask;
    }
}
