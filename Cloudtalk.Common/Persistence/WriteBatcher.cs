using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Group commit: the writes that concurrent requests hand in while a transaction is under way are combined into the
/// next one. Under load one transaction (one BEGIN, one COMMIT and its WAL flush, one connection from the pool, one
/// cache invalidation) carries many writes, instead of each write paying for its own; alone, a write goes at once
/// and waits for nobody (nothing is held back to fill a batch).
/// </summary>
/// <remarks>
/// <para>A subclass writes a batch in <see cref="WriteBatchAsync"/>, in a DI scope of its own, and answers every item
/// of it. Each item's result is its own: the subclass must keep one item's bad input (a missing row, say) from
/// failing the others. An exception out of <see cref="WriteBatchAsync"/> (the database away after its retries)
/// fails every item of that batch, as it would have failed each of them alone.</para>
/// <para>A caller that gives up (its request aborted) before its batch starts is left out; once the batch has
/// started, its write goes on, as a lone write would have gone on past its commit.</para>
/// <para>Hand-written because no library does it for EF Core: Npgsql's batching and EF's SaveChanges combine
/// statements of one caller, not the writes of concurrent requests.</para>
/// </remarks>
/// <typeparam name="TItem">One caller's write.</typeparam>
/// <typeparam name="TResult">What that write came to.</typeparam>
public abstract class WriteBatcher<TItem, TResult> : IAsyncDisposable
{
    /// <summary>The name of the <see cref="ActivitySource"/> of the batches' spans.</summary>
    public const string ActivitySourceName = "Cloudtalk.Persistence";

    private static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    private readonly IServiceScopeFactory _scopes;
    private readonly int _maxBatchSize;
    private readonly string _batchName;
    private readonly Task[] _writers;

    /// <param name="scopes">Makes the DI scope each batch runs in.</param>
    /// <param name="batchName">The batches' span name, e.g. "create reviews".</param>
    /// <param name="maxBatchSize">The most writes one transaction carries.</param>
    /// <param name="concurrentBatches">How many transactions may be under way at once (each holds a connection).</param>
    protected WriteBatcher(IServiceScopeFactory scopes, string batchName, int maxBatchSize, int concurrentBatches)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentBatches, 1);
        _scopes = scopes;
        _batchName = batchName;
        _maxBatchSize = maxBatchSize;
        _writers = Enumerable.Range(0, concurrentBatches).Select(_ => Task.Run(WriteBatchesAsync)).ToArray();
    }

    /// <summary>Hands in one write; completes when the transaction that carried it has committed (or failed).</summary>
    /// <param name="item">The write.</param>
    /// <param name="cancellationToken">Gives up waiting; the write is left out if its batch has not started yet.</param>
    /// <returns>What the write came to.</returns>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(item, Activity.Current?.Context ?? default, cancellationToken);
        ObjectDisposedException.ThrowIf(!_pending.Writer.TryWrite(pending), this);

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes <paramref name="batch"/> in one transaction and answers each item, in the same order.</summary>
    /// <param name="services">The batch's own DI scope.</param>
    /// <param name="batch">The writes, at least one.</param>
    /// <param name="cancellationToken">Cancelled only when the process stops.</param>
    /// <returns>One result per item of <paramref name="batch"/>.</returns>
    protected abstract Task<IReadOnlyList<TResult>> WriteBatchAsync(
        IServiceProvider services, IReadOnlyList<TItem> batch, CancellationToken cancellationToken);

    /// <summary>Takes no more writes, and returns once the ones handed in are written.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers);
        GC.SuppressFinalize(this);
    }

    private async Task WriteBatchesAsync()
    {
        var batch = new List<PendingWrite>(_maxBatchSize);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                if (!pending.CallerGaveUp.IsCancellationRequested)
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count > 0)
            {
                await WriteAndAnswerAsync(batch);
            }
        }
    }

    private async Task WriteAndAnswerAsync(List<PendingWrite> batch)
    {
        // The batch is a trace of its own, linked to every request it serves (their traces link back through the
        // span ids), so one trace never claims the database work of another request.
        using var activity = ActivitySource.HasListeners()
            ? ActivitySource.StartActivity(_batchName, ActivityKind.Internal, parentContext: default,
                tags: [new("cloudtalk.batch.size", batch.Count)],
                links: batch.Where(p => p.Caller != default).Select(p => new ActivityLink(p.Caller)))
            : null;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var results = await WriteBatchAsync(scope.ServiceProvider, batch.ConvertAll(p => p.Item), CancellationToken.None);
            if (results.Count != batch.Count)
            {
                throw new InvalidOperationException($"{GetType().Name} answered {results.Count} of {batch.Count} writes.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
        }
#pragma warning disable CA1031 // Every caller gets the failure; the loop itself must go on for the next batch.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            foreach (var pending in batch)
            {
                pending.Result.TrySetException(exception);
            }
        }
    }

    private sealed record PendingWrite(TItem Item, ActivityContext Caller, CancellationToken CallerGaveUp)
    {
        // Continuations run on the thread pool, not inline on the writer loop.
        public TaskCompletionSource<TResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
