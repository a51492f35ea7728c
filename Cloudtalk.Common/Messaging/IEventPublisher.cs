namespace Cloudtalk.Common.Messaging;

/// <summary>Puts events on the <see cref="MessagingTopology.Exchange"/> exchange.</summary>
public interface IEventPublisher
{
    /// <summary>
    /// Publishes one message (persistent, mandatory) and waits for the broker's confirmation.
    /// Returns only once the broker has taken responsibility for the message; a nack, a return (no queue
    /// bound), a lost connection or a confirmation timeout is an exception, so that the caller (the outbox
    /// relay) does not mark the event sent.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait (the message may still have reached the broker).</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken = default);
}
