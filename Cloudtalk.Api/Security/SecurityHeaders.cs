namespace Cloudtalk.Api.Security;

/// <summary>
/// Adds the headers a JSON API should send to every answer. They are set when the answer starts (not when the
/// request arrives) because the exception handler clears the headers before it writes its problem answer.
/// A header an endpoint set itself (e.g. a static file's Cache-Control) is left as it is.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    // Nothing in a JSON answer may load, run or be framed.
    public const string ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    // The Scalar reference page (Development only) is an HTML app with inline scripts and styles: the strict
    // policy would leave it blank, so its paths get no CSP (X-Frame-Options still forbids framing it).
    public const string ScalarPath = "/scalar";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (!context.Request.Path.StartsWithSegments(ScalarPath, StringComparison.OrdinalIgnoreCase))
            {
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
            }

            // no-store on every answer, reads included: the Api promises that a read after a write never answers
            // the old value, which a browser or proxy cache could break; the Api caches in Redis itself.
            if (string.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        }, context);

        return next(context);
    }
}
