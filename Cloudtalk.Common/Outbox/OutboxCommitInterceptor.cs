using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Tells the context's outbox interceptor that rows were written outside <c>SaveChanges</c>
/// (<see cref="OutboxDbContextExtensions.ExecuteWithOutboxEventsAsync"/>), so it hands them to the relay after their commit.
/// </summary>
public interface IOutboxRowsWrittenObserver
{
    /// <summary><paramref name="messages"/> were written through <paramref name="context"/>'s connection, in its current transaction if any.</summary>
    /// <param name="context">The context.</param>
    /// <param name="messages">The rows written.</param>
    void OutboxRowsWritten(DbContext context, IReadOnlyList<OutboxMessage> messages);
}

/// <summary>
/// Hands the outbox rows a context wrote to the relay right after their commit: after <c>SaveChanges</c> or the
/// statement when it ran in its own transaction, after the explicit transaction's commit otherwise (never before the
/// rows are visible, and never rows of a transaction that did not commit). Commits that added no outbox row (the
/// relay's own, for one) hand over nothing.
/// </summary>
/// <remarks>
/// Rows are kept with the transaction they were written in and handed over only by that transaction's commit: a
/// rolled-back, failed or abandoned attempt's rows are dropped (at the latest when the connection starts its next
/// transaction), and a commit whose outcome is unknown (its answer lost) hands over
/// nothing; if it did commit, the relay's poll finds its rows. A hand-over saves the relay reading the rows back; it is
/// never the only way a committed row gets sent.
/// </remarks>
/// <typeparam name="TContext">The context whose relay takes the rows.</typeparam>
/// <param name="signal">The relay's hand-over.</param>
public sealed class OutboxCommitInterceptor<TContext>(OutboxSignal<TContext> signal)
    : SaveChangesInterceptor, IDbTransactionInterceptor, IOutboxRowsWrittenObserver
    where TContext : DbContext
{
    /// <summary>Per explicit transaction, the outbox rows written in it. A transaction that never commits takes its rows with it.</summary>
    private readonly ConditionalWeakTable<DbTransaction, List<OutboxMessage>> _inTransaction = [];

    /// <summary>Per context, the rows of a <c>SaveChanges</c> under way outside an explicit transaction.</summary>
    private readonly ConditionalWeakTable<DbContext, List<OutboxMessage>> _saving = [];

    /// <inheritdoc />
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        NoteSavedRows(eventData.Context);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        NoteSavedRows(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public void OutboxRowsWritten(DbContext context, IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Database.CurrentTransaction is { } transaction)
        {
            _inTransaction.GetOrCreateValue(transaction.GetDbTransaction()).AddRange(messages);
        }
        else
        {
            // The statement committed on its own.
            signal.Notify(messages);
        }
    }

    private void NoteSavedRows(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var added = context.ChangeTracker.Entries<OutboxMessage>()
            .Where(entry => entry.State == EntityState.Added).Select(entry => entry.Entity).ToList();
        if (added.Count == 0)
        {
            return;
        }

        if (context.Database.CurrentTransaction is { } transaction)
        {
            _inTransaction.GetOrCreateValue(transaction.GetDbTransaction()).AddRange(added);
        }
        else
        {
            // SaveChanges commits its own transaction: the rows are handed over once it has returned.
            _saving.AddOrUpdate(context, added);
        }
    }

    /// <inheritdoc />
    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        HandOverSaved(eventData.Context);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        HandOverSaved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override void SaveChangesFailed(DbContextErrorEventData eventData) => ForgetSaved(eventData.Context);

    /// <inheritdoc />
    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetSaved(eventData.Context);
        return Task.CompletedTask;
    }

    private void HandOverSaved(DbContext? context)
    {
        if (context is not null && _saving.TryGetValue(context, out var rows) && _saving.Remove(context))
        {
            signal.Notify(rows);
        }
    }

    private void ForgetSaved(DbContext? context)
    {
        if (context is not null)
        {
            _saving.Remove(context);
        }
    }

    private void HandOver(DbTransaction transaction)
    {
        if (_inTransaction.TryGetValue(transaction, out var rows) && _inTransaction.Remove(transaction))
        {
            // A row written by a SaveChanges that was retried inside the transaction is handed over once.
            signal.Notify(rows.DistinctBy(row => row.Id));
        }
    }

    /// <inheritdoc />
    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        Forget(result);
        return result;
    }

    /// <inheritdoc />
    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default)
    {
        // Npgsql hands out the same transaction object again on the same connection: rows an abandoned transaction left
        // under it must not ride along with the next one's commit.
        Forget(result);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(transaction);

    /// <inheritdoc />
    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(transaction);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Forget(transaction);

    /// <inheritdoc />
    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        // A failed commit's outcome is unknown: if it did commit, the relay's poll sends the rows.
        Forget(transaction);
        return Task.CompletedTask;
    }

    private void Forget(DbTransaction transaction) => _inTransaction.Remove(transaction);

    /// <inheritdoc />
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => HandOver(transaction);

    /// <inheritdoc />
    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        HandOver(transaction);
        return Task.CompletedTask;
    }
}
