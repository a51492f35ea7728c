using Cloudtalk.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Idempotency;

/// <summary>The stored answers of creates sent with an <c>Idempotency-Key</c>, in the Api's database.</summary>
public static class IdempotencyStore
{
    /// <summary>How long a key is remembered; after that the same key starts a new create.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>
    /// Stores the answer under its key, in the caller's transaction, unless the key already holds an answer younger
    /// than <see cref="Retention"/>. If another transaction is storing the same key, this waits until it ends: once it
    /// committed the key is taken, once it rolled back the key is free.
    /// </summary>
    /// <returns>True if the answer was stored (the create goes on); false if the key was taken.</returns>
    public static async Task<bool> TryStoreAsync(this ApiDbContext db, IdempotentRequest request, string location, string response,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expiredBefore = now - Retention;
        var stored = await db.Database.SqlQuery<int>($"""
            INSERT INTO idempotency_keys (key, request_path, fingerprint, location, response, created_at)
            VALUES ({request.Key}, {request.Path}, {request.Fingerprint}, {location}, {response}, {now})
            ON CONFLICT (key) DO UPDATE SET request_path = excluded.request_path, fingerprint = excluded.fingerprint,
                location = excluded.location, response = excluded.response, created_at = excluded.created_at
            WHERE idempotency_keys.created_at < {expiredBefore}
            RETURNING 1 AS "Value"
            """).ToListAsync(cancellationToken);
        return stored.Count == 1;
    }

    /// <summary>The answer stored under the key, if it is younger than <see cref="Retention"/>.</summary>
    public static Task<IdempotencyRecord?> FindAsync(this ApiDbContext db, string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expiredBefore = now - Retention;
        return db.IdempotencyRecords.AsNoTracking()
            .Where(record => record.Key == key && record.CreatedAt >= expiredBefore)
            .SingleOrDefaultAsync(cancellationToken);
    }
}
