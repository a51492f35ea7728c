using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Api.Security;
using Cloudtalk.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiSecurity();

var app = builder.Build();

app.UseApiSecurity();
app.UseApiErrorHandling();
app.MapDefaultEndpoints();
app.MapApiOpenApi();

app.MapProductsApi();
app.MapReviewsApi();
app.MapOperationsApi();

app.Run();
