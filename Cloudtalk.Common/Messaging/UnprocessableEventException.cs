namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Thrown by a handler for an event that can never be processed (an unknown product, an impossible value):
/// the consumer dead-letters the message at once instead of retrying it.
/// </summary>
public sealed class UnprocessableEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnprocessableEventException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    /// <param name="message">Why the event cannot be processed.</param>
    public UnprocessableEventException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    /// <param name="message">Why the event cannot be processed.</param>
    /// <param name="innerException">The cause.</param>
    public UnprocessableEventException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
