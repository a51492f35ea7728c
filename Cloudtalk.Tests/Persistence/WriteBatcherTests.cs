using Cloudtalk.Common.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Tests.Persistence;

/// <summary>
/// How <see cref="WriteBatcher{TItem, TResult}"/> forms batches and answers callers. Nothing is stored here, so no
/// backing server is needed: the batches are recorded, and the first one is held open to let writes pile up
/// behind it, as they do behind a commit under load.
/// </summary>
public sealed class WriteBatcherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Writes_handed_in_while_a_batch_is_under_way_go_together_into_the_next_one()
    {
        await using var batcher = new RecordingBatcher(maxBatchSize: 64);
        var first = batcher.WriteAsync(0, CancellationToken.None);
        await batcher.FirstBatchStarted.WaitAsync(Timeout);

        var rest = Enumerable.Range(1, 10).Select(i => batcher.WriteAsync(i, CancellationToken.None)).ToList();
        batcher.ReleaseFirstBatch();

        Assert.Equal("done 0", await first.WaitAsync(Timeout));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"done {i}"), await Task.WhenAll(rest).WaitAsync(Timeout));
        Assert.Equal([[0], Enumerable.Range(1, 10).ToList()], batcher.Batches);
    }

    [Fact]
    public async Task A_batch_carries_at_most_the_maximum()
    {
        await using var batcher = new RecordingBatcher(maxBatchSize: 4);
        var first = batcher.WriteAsync(0, CancellationToken.None);
        await batcher.FirstBatchStarted.WaitAsync(Timeout);

        var rest = Enumerable.Range(1, 10).Select(i => batcher.WriteAsync(i, CancellationToken.None)).ToList();
        batcher.ReleaseFirstBatch();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Timeout);

        Assert.Equal([1, 4, 4, 2], batcher.Batches.Select(batch => batch.Count));
        Assert.Equal(Enumerable.Range(0, 11), batcher.Batches.SelectMany(batch => batch));
    }

    [Fact]
    public async Task A_failed_batch_fails_its_own_writes_and_the_next_batch_is_written()
    {
        await using var batcher = new RecordingBatcher(maxBatchSize: 64);
        var first = batcher.WriteAsync(0, CancellationToken.None);
        await batcher.FirstBatchStarted.WaitAsync(Timeout);

        var failing = batcher.WriteAsync(RecordingBatcher.FailsItsBatch, CancellationToken.None);
        var sameBatch = batcher.WriteAsync(2, CancellationToken.None);
        batcher.ReleaseFirstBatch();

        Assert.Equal("done 0", await first.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sameBatch.WaitAsync(Timeout));
        Assert.Equal("done 3", await batcher.WriteAsync(3, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_caller_that_gives_up_before_its_batch_starts_is_left_out()
    {
        await using var batcher = new RecordingBatcher(maxBatchSize: 64);
        var first = batcher.WriteAsync(0, CancellationToken.None);
        await batcher.FirstBatchStarted.WaitAsync(Timeout);

        using var giveUp = new CancellationTokenSource();
        var abandoned = batcher.WriteAsync(1, giveUp.Token);
        var kept = batcher.WriteAsync(2, CancellationToken.None);
        await giveUp.CancelAsync();
        batcher.ReleaseFirstBatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Timeout));
        Assert.Equal("done 2", await kept.WaitAsync(Timeout));
        Assert.Equal([[0], [2]], batcher.Batches);
    }

    [Fact]
    public async Task Disposing_writes_what_was_handed_in_first_and_takes_nothing_after()
    {
        var batcher = new RecordingBatcher(maxBatchSize: 64);
        var first = batcher.WriteAsync(0, CancellationToken.None);
        await batcher.FirstBatchStarted.WaitAsync(Timeout);
        var waiting = batcher.WriteAsync(1, CancellationToken.None);

        var disposed = batcher.DisposeAsync().AsTask();
        batcher.ReleaseFirstBatch();
        await disposed.WaitAsync(Timeout);

        Assert.Equal("done 0", await first);
        Assert.Equal("done 1", await waiting);
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.WriteAsync(2, CancellationToken.None); });
    }

    /// <summary>Answers "done {item}" for every item and records each batch; the first batch waits to be released.</summary>
    private sealed class RecordingBatcher(int maxBatchSize)
        : WriteBatcher<int, string>(new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(),
            "test batch", maxBatchSize, concurrentBatches: 1)
    {
        public const int FailsItsBatch = -1;

        private readonly TaskCompletionSource _firstBatchStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstBatchReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<List<int>> _batches = [];

        public Task FirstBatchStarted => _firstBatchStarted.Task;

        public IReadOnlyList<List<int>> Batches
        {
            get
            {
                lock (_batches)
                {
                    return [.. _batches];
                }
            }
        }

        public void ReleaseFirstBatch() => _firstBatchReleased.SetResult();

        protected override async Task<IReadOnlyList<string>> WriteBatchAsync(
            IServiceProvider services, IReadOnlyList<int> batch, CancellationToken cancellationToken)
        {
            bool isFirst;
            lock (_batches)
            {
                isFirst = _batches.Count == 0;
                _batches.Add([.. batch]);
            }

            if (isFirst)
            {
                _firstBatchStarted.SetResult();
                await _firstBatchReleased.Task;
            }

            return batch.Contains(FailsItsBatch)
                ? throw new InvalidOperationException("the batch failed")
                : batch.Select(item => $"done {item}").ToList();
        }
    }
}
