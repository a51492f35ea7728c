namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// The answer a create with an <c>Idempotency-Key</c> got, stored in the create's own transaction: either both the
/// resource and this record committed, or neither did.
/// </summary>
public sealed class IdempotencyRecord
{
    public required string Key { get; init; }

    public required string RequestPath { get; init; }

    public required byte[] Fingerprint { get; init; }

    /// <summary>The created resource's path, the answer's <c>Location</c>.</summary>
    public required string Location { get; init; }

    /// <summary>The answer's JSON body, as it was sent.</summary>
    public required string Response { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
