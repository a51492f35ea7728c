using Microsoft.Extensions.Options;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Writes a problem as <c>application/problem+json</c> when ASP.NET Core's own writer declines it, which that writer
/// does when the request's Accept header names no JSON type (<c>Accept: text/html</c>, <c>application/xml</c>).
/// Without it such a client got an unknown route's 404 as text/plain, an unhandled error's 500 without a body, and a
/// 500 instead of the 429 of a rate-limited write (the rejection's write threw). The contract promises problem+json
/// for every error; HTTP lets a server disregard Accept (RFC 9110, section 12.5.1), and this Api has no other
/// representation to offer. Registered after the default writer, so it only sees what that one declined.
/// </summary>
internal sealed class ProblemJsonFallbackWriter(IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        context.ProblemDetails.Status ??= response.StatusCode;
        // ProblemHttpResult's constructor fills in the status's type and title, as the default writer does.
        _ = TypedResults.Problem(context.ProblemDetails);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        // By its runtime type: a validation problem's errors are not a member of ProblemDetails.
        var problem = context.ProblemDetails;
        return new ValueTask(response.WriteAsJsonAsync(problem, problem.GetType(), options: null, contentType: "application/problem+json"));
    }
}
