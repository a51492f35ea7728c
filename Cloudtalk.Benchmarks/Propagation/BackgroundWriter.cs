using System.Diagnostics;

namespace Cloudtalk.Benchmarks.Propagation;

/// <summary>Posts reviews at a steady rate (per second) on a set of products until stopped.</summary>
public sealed class BackgroundWriter(Load.CloudtalkClient client, IReadOnlyList<long> products, int perSecond) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _sent;
    private long _errors;
    private int _disposed;

    public long Sent => Interlocked.Read(ref _sent);

    public long Errors => Interlocked.Read(ref _errors);

    public void Start() => _loop = perSecond > 0 ? Task.Run(LoopAsync) : Task.CompletedTask;

    private async Task LoopAsync()
    {
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var due = 0L;
        while (!_stop.IsCancellationRequested)
        {
            // Send what is due by now, so that slow answers do not lower the offered rate.
            var target = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; due < target; due++)
            {
                inFlight.Add(PostOneAsync(products[Random.Shared.Next(products.Count)], Random.Shared.Next(1, 6)));
            }

            inFlight.RemoveAll(task => task.IsCompleted);
            try
            {
                await Task.Delay(5, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await Task.WhenAll(inFlight);
    }

    private async Task PostOneAsync(long productId, int rating)
    {
        try
        {
            using var response = await client.PostReviewAsync(productId, rating);
            Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _sent : ref _errors);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            // A refused connection or a request that waited out the client's timeout: the offered rate is more than
            // the system takes. Counted, and the run fails on it, but the measurement goes on.
            Interlocked.Increment(ref _errors);
        }
    }

    /// <summary>Stops the writer and waits for the writes in flight. Idempotent (it is called once the load ends, and again at scope end).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}
