using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Tells the context's outbox interceptor that rows were written outside <c>SaveChanges</c>
/// (<see cref="OutboxDbContextExtensions.InsertOutboxEventsAsync"/>), so it wakes the relay after their commit.
/// </summary>
public interface IOutboxRowsWrittenObserver
{
    /// <summary>Outbox rows were written through <paramref name="context"/>'s connection, in its current transaction if any.</summary>
    /// <param name="context">The context.</param>
    void OutboxRowsWritten(DbContext context);
}

/// <summary>
/// Wakes the relay right after a commit that added outbox rows: after <c>SaveChanges</c> when it ran in its own
/// transaction, or after the explicit transaction's commit otherwise (never before the rows are visible).
/// Commits that added no outbox row (the relay's own, for one) wake nobody.
/// </summary>
/// <typeparam name="TContext">The context whose relay is woken.</typeparam>
/// <param name="signal">The relay's signal.</param>
public sealed class OutboxCommitInterceptor<TContext>(OutboxSignal<TContext> signal)
    : SaveChangesInterceptor, IDbTransactionInterceptor, IOutboxRowsWrittenObserver
    where TContext : DbContext
{
    /// <summary>Contexts whose saved outbox rows wait for their transaction's commit.</summary>
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];

    /// <inheritdoc />
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        NoteOutboxRows(eventData.Context);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        NoteOutboxRows(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public void OutboxRowsWritten(DbContext context)
    {
        _pending.AddOrUpdate(context, this);
        NotifyIfCommitted(context);
    }

    private void NoteOutboxRows(DbContext? context)
    {
        if (context is not null &&
            context.ChangeTracker.Entries<OutboxMessage>().Any(entry => entry.State == EntityState.Added))
        {
            _pending.AddOrUpdate(context, this);
        }
    }

    /// <inheritdoc />
    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        NotifyIfCommitted(eventData.Context);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        NotifyIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Forget(eventData.Context);

    /// <inheritdoc />
    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void NotifyIfCommitted(DbContext? context)
    {
        // Inside an explicit transaction the rows are not visible yet: TransactionCommitted will signal.
        if (context?.Database.CurrentTransaction is null)
        {
            Commit(context);
        }
    }

    private void Commit(DbContext? context)
    {
        if (context is not null && _pending.Remove(context))
        {
            signal.Notify();
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            _pending.Remove(context);
        }
    }

    /// <inheritdoc />
    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Commit(eventData.Context);

    /// <inheritdoc />
    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Commit(eventData.Context);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => _pending.Remove(eventData.Context!);

    /// <inheritdoc />
    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        _pending.Remove(eventData.Context!);
        return Task.CompletedTask;
    }
}
