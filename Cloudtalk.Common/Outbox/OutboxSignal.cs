using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Hands the outbox rows of <typeparamref name="TContext"/> that this process just committed to the relay, and wakes
/// it. The relay publishes them from memory, without reading them back. Wake-ups coalesce: many commits while the
/// relay works cause one more round, not many.
/// </summary>
/// <typeparam name="TContext">The context whose outbox this is.</typeparam>
public sealed class OutboxSignal<TContext>
    where TContext : DbContext
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly ConcurrentQueue<OutboxMessage> _committed = new();

    /// <summary>Hands over rows whose transaction has committed, and wakes the relay.</summary>
    /// <param name="committed">The rows; only ever rows of a transaction known to have committed.</param>
    public void Notify(IEnumerable<OutboxMessage> committed)
    {
        ArgumentNullException.ThrowIfNull(committed);
        foreach (var message in committed)
        {
            _committed.Enqueue(message);
        }

        _channel.Writer.TryWrite(true);
    }

    /// <summary>Takes up to <paramref name="max"/> of the rows handed over, oldest first.</summary>
    /// <param name="max">The most to take.</param>
    /// <returns>The rows taken; empty when none wait.</returns>
    public List<OutboxMessage> TakeCommitted(int max)
    {
        var taken = new List<OutboxMessage>();
        while (taken.Count < max && _committed.TryDequeue(out var message))
        {
            taken.Add(message);
        }

        return taken;
    }

    /// <summary>Waits for <see cref="Notify"/> or the timeout, whichever comes first.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True when woken by a hand-over.</returns>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryRead(out _) || !_committed.IsEmpty)
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timer.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
