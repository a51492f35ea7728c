using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cloudtalk.Api.Idempotency;

/// <summary>What a create answers when its <c>Idempotency-Key</c> was used before.</summary>
public static class IdempotentAnswers
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The stored answer again: 201, the first create's <c>Location</c> and body, marked as a replay.</summary>
    public static Created<T> Replay<T>(HttpResponse response, IdempotencyRecord record)
    {
        response.Headers[ReplayedHeader] = "true";
        return TypedResults.Created(record.Location,
            JsonSerializer.Deserialize<T>(record.Response, IdempotencyStore.AnswerJson));
    }

    /// <summary>422: the key answered another request (a different body or path) within the last 24 hours.</summary>
    public static ProblemHttpResult KeyReused() => TypedResults.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "Idempotency-Key reused",
        detail: $"This {IdempotentRequest.HeaderName} was sent with a different request (another body or path) in the last " +
                "24 hours. A new request needs a new key.");
}
