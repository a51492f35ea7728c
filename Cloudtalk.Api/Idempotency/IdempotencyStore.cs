using System.Text.Json;
using Cloudtalk.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Idempotency;

/// <summary>The stored answers of creates sent with an <c>Idempotency-Key</c>, in the Api's database.</summary>
public static class IdempotencyStore
{
    /// <summary>How long a key is remembered; after that the same key starts a new create.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>How stored answers are written and read back.</summary>
    public static JsonSerializerOptions AnswerJson => JsonSerializerOptions.Web;

    /// <summary>
    /// Runs a create sent with an <c>Idempotency-Key</c>: the prior answer under the key if there is one (nothing is
    /// created), else <paramref name="create"/>, which stores its answer with <see cref="StoreAnswerAsync{T}"/> in its
    /// transaction. If a concurrent request with the same key committed first, the create rolled back and the answer
    /// is the one that request stored.
    /// </summary>
    public static async Task<T> CreateOnceAsync<T>(this ApiDbContext db, IdempotentRequest request, TimeProvider time,
        Func<Task<T>> create, Func<PriorAnswer, T> answeredBefore, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await PriorAnswer.FindAsync(db, request, time.GetUtcNow(), cancellationToken) is { } prior)
            {
                return answeredBefore(prior);
            }

            try
            {
                return await create();
            }
            catch (IdempotencyKeyTakenException)
            {
                // A concurrent request with the same key committed first: answer from what it stored.
            }
        }
    }

    /// <summary>
    /// Stores the answer under its key, in the caller's transaction, unless the key already holds an answer younger
    /// than <see cref="Retention"/>. If another transaction is storing the same key, this waits until it ends: once it
    /// committed the key is taken, once it rolled back the key is free.
    /// </summary>
    /// <exception cref="IdempotencyKeyTakenException">The key was taken: the caller's transaction must roll back.</exception>
    public static async Task StoreAnswerAsync<T>(this ApiDbContext db, IdempotentRequest request, string location, T answer,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var response = JsonSerializer.Serialize(answer, AnswerJson);
        var expiredBefore = now - Retention;
        var stored = await db.Database.SqlQuery<int>($"""
            INSERT INTO idempotency_keys (key, request_path, fingerprint, location, response, created_at)
            VALUES ({request.Key}, {request.Path}, {request.Fingerprint}, {location}, {response}, {now})
            ON CONFLICT (key) DO UPDATE SET request_path = excluded.request_path, fingerprint = excluded.fingerprint,
                location = excluded.location, response = excluded.response, created_at = excluded.created_at
            WHERE idempotency_keys.created_at < {expiredBefore}
            RETURNING 1 AS "Value"
            """).ToListAsync(cancellationToken);
        if (stored.Count == 0)
        {
            throw new IdempotencyKeyTakenException();
        }
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
