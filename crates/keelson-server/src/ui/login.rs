//! The sign-in page. The form posts to `/login` (`api::session`), which
//! checks the double-submit CSRF token and the password and sets the
//! session cookie.

use maud::html;

use super::layout;

/// The sign-in form with its CSRF token and, after a failed try, why.
pub fn page(csrf: &str, problem: Option<&str>) -> String {
    let body = html! {
        @if let Some(problem) = problem {
            p.problem role="alert" { (problem) }
        }
        form method="post" action="/login" {
            input type="hidden" name="csrf_token" value=(csrf);
            div.field {
                label for="username" { "User" }
                input #username name="username" autocomplete="username" required autofocus;
            }
            div.field {
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
            }
            button type="submit" { "Sign in" }
        }
    };
    layout::bare_page("Sign in to Keelson", body).into_string()
}
