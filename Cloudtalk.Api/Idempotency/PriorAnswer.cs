using Cloudtalk.Api.Infrastructure;

namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// What a key used before means for a request: the same request again (<see cref="Replay"/> holds its stored answer),
/// or another request under the same key (<see cref="Replay"/> is null: a 422).
/// </summary>
public sealed record PriorAnswer(IdempotencyRecord? Replay)
{
    /// <summary>The prior answer under the request's key, or null when the key is free (the create goes on).</summary>
    public static async Task<PriorAnswer?> FindAsync(ApiDbContext db, IdempotentRequest request, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        await db.FindAsync(request.Key, now, cancellationToken) is { } record
            ? new PriorAnswer(request.Matches(record) ? record : null)
            : null;
}
