namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// Thrown inside a create's transaction when its <c>Idempotency-Key</c> was stored by a concurrent request that
/// committed first: the transaction rolls back (nothing is created) and the create answers from the stored record.
/// Rare: a repeated request normally finds the stored answer before it starts.
/// </summary>
public sealed class IdempotencyKeyTakenException : Exception
{
    public IdempotencyKeyTakenException()
        : base("The Idempotency-Key was stored by a concurrent request.")
    {
    }

    public IdempotencyKeyTakenException(string message)
        : base(message)
    {
    }

    public IdempotencyKeyTakenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
