// express@5 installed under the alias express5 (devDependency); @types/express describes it.
declare module 'express5' {
  import express from 'express'
  export default express
}
