using System.Diagnostics;

namespace Cloudtalk.Benchmarks.Propagation;

/// <summary>
/// Posts reviews at a steady offered rate (per second) on a set of products until stopped. At most
/// <see cref="MaxInFlight"/> requests are open at once: what is due beyond that is skipped and counted, so a system
/// slower than the offered rate shows as a lower achieved rate instead of a queue of requests that time out.
/// </summary>
public sealed class BackgroundWriter(Load.CloudtalkClient client, IReadOnlyList<long> products, int perSecond) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _sent;
    public const int MaxInFlight = 64;

    private readonly Stopwatch _clock = new();
    private long _errors;
    private long _skipped;
    private int _disposed;

    public long Sent => Interlocked.Read(ref _sent);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Writes that were due while <see cref="MaxInFlight"/> requests were open, and so never sent.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Successful writes per second since the start.</summary>
    public double AchievedPerSecond => _clock.Elapsed.TotalSeconds > 0 ? Sent / _clock.Elapsed.TotalSeconds : 0;

    public void Start() => _loop = perSecond > 0 ? Task.Run(LoopAsync) : Task.CompletedTask;

    private async Task LoopAsync()
    {
        var inFlight = new List<Task>();
        _clock.Start();
        var due = 0L;
        while (!_stop.IsCancellationRequested)
        {
            // Send what is due by now, so that slow answers do not lower the offered rate.
            var target = (long)(_clock.Elapsed.TotalSeconds * perSecond);
            inFlight.RemoveAll(task => task.IsCompleted);
            for (; due < target; due++)
            {
                if (inFlight.Count >= MaxInFlight)
                {
                    Interlocked.Increment(ref _skipped);
                    continue;
                }

                inFlight.Add(PostOneAsync(products[Random.Shared.Next(products.Count)], Random.Shared.Next(1, 6)));
            }

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
        _clock.Stop();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}
