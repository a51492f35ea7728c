using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Wakes the relay of <typeparamref name="TContext"/> when a commit may have added outbox rows.
/// Signals coalesce: many commits while the relay works cause one more round, not many.
/// </summary>
/// <typeparam name="TContext">The context whose outbox this is.</typeparam>
public sealed class OutboxSignal<TContext>
    where TContext : DbContext
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Tells the relay to look now.</summary>
    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>Waits for <see cref="Notify"/> or the timeout, whichever comes first.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True when woken by a signal.</returns>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryRead(out _))
        {
            return true;
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
