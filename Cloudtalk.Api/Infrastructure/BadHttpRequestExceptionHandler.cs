using Microsoft.AspNetCore.Diagnostics;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Answers Kestrel's and routing's <see cref="BadHttpRequestException"/>s (body too large, bad headers...)
/// with their own status code as problem details, instead of the exception handler's generic 500.
/// </summary>
public sealed class BadHttpRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = badRequest.StatusCode, Detail = badRequest.Message },
        });
    }
}
